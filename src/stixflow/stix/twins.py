"""Twins: objects that share a name-based id but are not the same object.

Name-based ids (``ids.standard_id``, OpenCTI's "standard id") make two sources' copies of one
malware one object. Some sources give an object an authoritative external id as well (MITRE
ATT&CK ``S0605``, CAPEC ``CAPEC-66``…), and they can hold two objects of one type and name:
ATT&CK for ICS 17.1 holds an active "EKANS" (S0605) and a deprecated one (S0017). The policy
(docs/pipeline.md, "Merge policy"):

* objects with different authoritative external ids from one source are different objects, even
  with one name: the second one gets a *twin id* (``twin_id``: the name-based contributing
  properties plus its authoritative external ids), never merged into the first;
* which one keeps the name-based id: the one already held by the store; within one batch, an
  active one before a revoked or deprecated one (``inactive``), then the latest ``modified``;
* a revoked or deprecated version never overwrites an active twin (``stixflow.stix.merge``); a
  newer version of the *same* object (same authoritative id) does win, deprecated or not: that
  is the source deprecating it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from stixflow.stix.ids import NAMESPACE, canonical_json, standard_id
from stixflow.stix.timestamps import sort_key

#: ``source_name`` of external references whose ``external_id`` names one object -> the id
#: space it belongs to (ATT&CK's domains share one: ``S0605`` is one software in all of them).
AUTHORITATIVE_SOURCES: dict[str, str] = {
    "mitre-attack": "attack",
    "mitre-mobile-attack": "attack",
    "mitre-ics-attack": "attack",
    "mitre-pre-attack": "attack",
    "capec": "capec",
    "cwe": "cwe",
    "cve": "cve",
    "malpedia": "malpedia",
}


def authoritative_ids(obj: Mapping[str, object]) -> frozenset[tuple[str, str]]:
    """(id space, external id) of every authoritative external reference of ``obj``."""
    references = obj.get("external_references")
    if not isinstance(references, list):
        return frozenset()
    found = set()
    for reference in references:
        if not isinstance(reference, Mapping):
            continue
        source, external_id = reference.get("source_name"), reference.get("external_id")
        if (
            isinstance(source, str)
            and source.lower() in AUTHORITATIVE_SOURCES
            and isinstance(external_id, str)
            and external_id.strip()
        ):
            found.add((AUTHORITATIVE_SOURCES[source.lower()], external_id.strip().upper()))
    return frozenset(found)


def conflicting(first: Mapping[str, object], second: Mapping[str, object]) -> bool:
    """True when the two carry authoritative ids of one id space and share none of them."""
    return _conflict(authoritative_ids(first), authoritative_ids(second))


def _conflict(first: frozenset[tuple[str, str]], second: frozenset[tuple[str, str]]) -> bool:
    if not first or not second or first & second:
        return False
    return bool({source for source, _ in first} & {source for source, _ in second})


def inactive(obj: Mapping[str, object]) -> bool:
    """Revoked (STIX 2.1 §3.2) or deprecated by its producer (``x_mitre_deprecated``)."""
    return obj.get("revoked") is True or obj.get("x_mitre_deprecated") is True


def twin_id(obj: dict) -> str | None:
    """The id of ``obj`` when its name-based id belongs to a twin: name-based id and
    authoritative external ids, so the same twin always gets the same id. None when ``obj``
    has no name-based id or no authoritative id."""
    base = standard_id(obj)
    found = authoritative_ids(obj)
    if base is None or not found:
        return None
    contributing = {"standard_id": base, "external_ids": sorted(f"{s}:{i}" for s, i in found)}
    object_type = base.split("--", 1)[0]
    return f"{object_type}--{uuid.uuid5(NAMESPACE, canonical_json(contributing))}"


def to_separate(members: list[dict], keeper: Mapping[str, object] | None) -> list[int]:
    """The positions of ``members`` (objects given one name-based id) that must move to their
    twin id. ``keeper``: the object that holds the id (the stored one, or one already carrying
    the id itself); else the one ``keeper_of`` picks. Members agreeing with it stay."""
    chosen = keeper if keeper is not None and authoritative_ids(keeper) else keeper_of(members)
    if chosen is None:
        return []
    kept_ids = authoritative_ids(chosen)
    return [
        index
        for index, obj in enumerate(members)
        if obj is not chosen and _conflict(kept_ids, authoritative_ids(obj))
    ]


def keeper_of(members: list[dict]) -> dict | None:
    """The member that keeps the name-based id: active first, then the latest ``modified``."""
    if len(members) < 2:
        return None
    return max(members, key=lambda obj: (not inactive(obj), _modified(obj)))


def _modified(obj: Mapping[str, object]) -> tuple[str, str]:
    modified = obj.get("modified")
    return sort_key(modified) if isinstance(modified, str) else ("", "")
