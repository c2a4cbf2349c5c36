"""Merge two versions (or two sources' copies) of one STIX object.

STIX 2.1 section 3.6 (versioning) says the version with the latest ``modified`` is the current
one. Sources also describe the same thing partially, so a merge keeps what either side knows:

* scalars (and every property not in ``LIST_PROPERTIES``): the newer version wins; on equal
  ``modified`` the existing copy wins, unless the caller says the incoming copy wins ties
  (``incoming_wins_ties``: an enrichment connector's answer about the very object it was asked
  to enrich, see ``stixflow.store.sql``); properties only one side has are kept;
* ``LIST_PROPERTIES`` are unioned, existing items first, without duplicates (dicts compared by
  canonical JSON);
* ``created`` is the earliest, ``modified`` the latest;
* objects without ``modified`` (SCOs, marking definitions): the incoming copy wins;
* twins (``stixflow.stix.twins``: different authoritative external ids) are normally kept apart
  before they reach a merge; should two meet (data stored before that rule), the active one is
  kept as it is and the revoked or deprecated one adds nothing to it, whatever their ``modified``;
* ``granular_markings``: those of both copies, selectors of unioned lists following their item
  (``stixflow.stix.granular.merged_markings``), so that no part loses its marking.

Which lists union: the ones that gather facts from several sources and that OpenCTI also unions
on upsert (labels, markings, external references, kill chain phases, aliases, container refs,
known STIX ids). Lists that are one producer's description of the object's current state
(``*_types``, ``x_mitre_platforms``, ``x_mitre_domains``…) follow the scalar rule, so a
platform MITRE drops from a technique disappears instead of lingering forever.
"""

from __future__ import annotations

from stixflow.errors import InvalidObject
from stixflow.stix.granular import merged_markings
from stixflow.stix.ids import canonical_json
from stixflow.stix.timestamps import sort_key
from stixflow.stix.twins import conflicting, inactive

LIST_PROPERTIES: frozenset[str] = frozenset(
    {
        "labels",
        "external_references",
        "kill_chain_phases",
        "object_marking_refs",
        "object_refs",
        "aliases",
        "x_mitre_aliases",
        "x_opencti_aliases",
        "x_opencti_stix_ids",
        "sample_refs",
        "where_sighted_refs",
        "observed_data_refs",
    }
)


def merge(existing: dict, incoming: dict, *, incoming_wins_ties: bool = False) -> dict:
    """``existing`` and ``incoming`` merged into a new dict (neither argument is modified);
    ``incoming_wins_ties``: on equal ``modified`` the incoming copy's scalars win.

    Raises InvalidObject when the two do not describe the same object (different type or id).
    """
    _check_same_object(existing, incoming)
    if conflicting(existing, incoming) and inactive(existing) != inactive(incoming):
        return dict(incoming if inactive(existing) else existing)
    newer, older = _by_precedence(existing, incoming, incoming_wins_ties)
    merged = {**older, **newer}
    for key in LIST_PROPERTIES:
        first, second = existing.get(key), incoming.get(key)
        if isinstance(first, list) and isinstance(second, list):
            merged[key] = _union(first, second)
    _merge_dates(merged, existing, incoming)
    if "granular_markings" in existing or "granular_markings" in incoming:
        markings = merged_markings(existing, incoming, merged, LIST_PROPERTIES)
        merged.pop("granular_markings", None)
        if markings:
            merged["granular_markings"] = markings
    return merged


def _union(first: list, second: list) -> list:
    """``first`` followed by the items of ``second`` it lacks (duplicates in ``second`` once)."""
    seen = {_identity(item) for item in first}
    result = list(first)
    for item in second:
        key = _identity(item)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def _identity(item: object) -> object:
    return item if isinstance(item, str) else canonical_json(item)


def _check_same_object(existing: dict, incoming: dict) -> None:
    for key in ("type", "id"):
        if existing.get(key) != incoming.get(key):
            raise InvalidObject(
                incoming.get("id") if isinstance(incoming.get("id"), str) else None,
                f"cannot merge: '{key}' differs ({existing.get(key)!r} vs {incoming.get(key)!r})",
            )


def _by_precedence(existing: dict, incoming: dict, incoming_wins_ties: bool) -> tuple[dict, dict]:
    """(the copy whose scalars win, the other one)."""
    old_modified, new_modified = existing.get("modified"), incoming.get("modified")
    if not isinstance(old_modified, str) or not isinstance(new_modified, str):
        return incoming, existing
    old_key, new_key = sort_key(old_modified), sort_key(new_modified)
    if new_key > old_key or (incoming_wins_ties and new_key == old_key):
        return incoming, existing
    return existing, incoming


def _merge_dates(merged: dict, existing: dict, incoming: dict) -> None:
    created = _dates(existing, incoming, "created")
    if created:
        merged["created"] = min(created, key=sort_key)
    modified = _dates(existing, incoming, "modified")
    if modified:
        merged["modified"] = max(modified, key=sort_key)


def _dates(existing: dict, incoming: dict, key: str) -> list[str]:
    return [value for value in (existing.get(key), incoming.get(key)) if isinstance(value, str)]
