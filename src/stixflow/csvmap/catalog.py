"""What a representation may target, which attributes each target has, and which are mandatory.

A target is a STIX 2.1 object type (SDO or SCO, STIX 2.1 §4 and §6) or, for relationships, a
relationship type (``indicates``, ``related-to``, ``communicates-with``…; STIX 2.1 §5.1). Custom
``x_…`` attributes are accepted on every target as text.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    LIST = "list"  # list of text (split on the attribute's separator)
    HASH = "hash"  # ``hashes.<algorithm>``
    REF = "ref"  # one reference to another representation (``based_on``) or a fixed id
    REFS = "refs"  # several references


#: Hash algorithms accepted after ``hashes.`` (STIX 2.1 hash-algorithm-ov).
HASH_ALGORITHMS = ("MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH")

_SDO_COMMON: dict[str, Kind] = {
    "description": Kind.TEXT,
    "labels": Kind.LIST,
    "confidence": Kind.INT,
    "created": Kind.DATE,
    "modified": Kind.DATE,
    "created_by": Kind.REF,
    "object_marking_refs": Kind.REFS,
}
_SCO_COMMON: dict[str, Kind] = {"object_marking_refs": Kind.REFS}
_NAMED = {"name": Kind.TEXT, "aliases": Kind.LIST}
_SEEN = {"first_seen": Kind.DATE, "last_seen": Kind.DATE}

SDOS: dict[str, dict[str, Kind]] = {
    "attack-pattern": {**_NAMED},
    "campaign": {**_NAMED, **_SEEN, "objective": Kind.TEXT},
    "identity": {"name": Kind.TEXT, "identity_class": Kind.TEXT, "sectors": Kind.LIST},
    "indicator": {
        "name": Kind.TEXT,
        "pattern": Kind.TEXT,
        "pattern_type": Kind.TEXT,
        "indicator_types": Kind.LIST,
        "valid_from": Kind.DATE,
        "valid_until": Kind.DATE,
        "based-on": Kind.REFS,
    },
    "infrastructure": {**_NAMED, **_SEEN, "infrastructure_types": Kind.LIST},
    "intrusion-set": {**_NAMED, **_SEEN},
    "location": {"name": Kind.TEXT, "country": Kind.TEXT, "region": Kind.TEXT, "city": Kind.TEXT},
    "malware": {**_NAMED, **_SEEN, "is_family": Kind.BOOL, "malware_types": Kind.LIST},
    "threat-actor": {**_NAMED, **_SEEN, "threat_actor_types": Kind.LIST},
    "tool": {**_NAMED, "tool_types": Kind.LIST},
    "vulnerability": {"name": Kind.TEXT},
}
SCOS: dict[str, dict[str, Kind]] = {
    "autonomous-system": {"number": Kind.INT, "name": Kind.TEXT},
    "credential": {"value": Kind.TEXT},  # OpenCTI's custom observable
    "directory": {"path": Kind.TEXT},
    "domain-name": {"value": Kind.TEXT},
    "email-addr": {"value": Kind.TEXT, "display_name": Kind.TEXT},
    "file": {"name": Kind.TEXT, "size": Kind.INT, "mime_type": Kind.TEXT},
    "ipv4-addr": {"value": Kind.TEXT},
    "ipv6-addr": {"value": Kind.TEXT},
    "mac-addr": {"value": Kind.TEXT},
    "mutex": {"name": Kind.TEXT},
    "software": {"name": Kind.TEXT, "vendor": Kind.TEXT, "version": Kind.TEXT},
    "url": {"value": Kind.TEXT},
    "x509-certificate": {"serial_number": Kind.TEXT, "issuer": Kind.TEXT, "subject": Kind.TEXT},
}
#: Custom properties with a type of their own (OpenCTI's score is a number from 0 to 100).
CUSTOM_KINDS: dict[str, Kind] = {"x_opencti_score": Kind.INT}
HASHED = frozenset({"file", "x509-certificate"})
RELATIONSHIP: dict[str, Kind] = {
    "from": Kind.REF,
    "to": Kind.REF,
    "description": Kind.TEXT,
    "confidence": Kind.INT,
    "start_time": Kind.DATE,
    "stop_time": Kind.DATE,
    "created_by": Kind.REF,
    "object_marking_refs": Kind.REFS,
}

#: Each inner tuple is one requirement: at least one of its attributes must be mapped.
MANDATORY: dict[str, tuple[tuple[str, ...], ...]] = {
    **{t: (("name",),) for t in SDOS if t not in ("indicator", "location")},
    "location": (("name", "country", "region", "city"),),
    "indicator": (("pattern", "based-on"),),
    **{t: (("value",),) for t in SCOS if "value" in SCOS[t]},
    "autonomous-system": (("number",),),
    "directory": (("path",),),
    "file": (("name", *(f"hashes.{a}" for a in HASH_ALGORITHMS)),),
    "mutex": (("name",),),
    "software": (("name",),),
    "x509-certificate": (("serial_number", *(f"hashes.{a}" for a in HASH_ALGORITHMS)),),
}
RELATIONSHIP_MANDATORY: tuple[tuple[str, ...], ...] = (("from",), ("to",))
_RELATIONSHIP_TYPE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def is_entity(target: str) -> bool:
    return target in SDOS or target in SCOS


def is_observable(target: str) -> bool:
    return target in SCOS


def is_relationship_type(target: str) -> bool:
    return not is_entity(target) and bool(_RELATIONSHIP_TYPE.match(target))


def attribute_kind(target: str, key: str) -> Kind | None:
    """The kind of ``key`` on ``target``; None when the target has no such attribute."""
    if key in CUSTOM_KINDS:
        return CUSTOM_KINDS[key]
    if key.startswith("x_"):
        return Kind.TEXT
    if key.startswith("hashes."):
        return Kind.HASH if target in HASHED and key[7:] in HASH_ALGORITHMS else None
    if target in SDOS:
        return SDOS[target].get(key) or _SDO_COMMON.get(key)
    if target in SCOS:
        return SCOS[target].get(key) or _SCO_COMMON.get(key)
    return RELATIONSHIP.get(key)


def mandatory(target: str) -> tuple[tuple[str, ...], ...]:
    if is_entity(target):
        return MANDATORY.get(target, ())
    return RELATIONSHIP_MANDATORY


def known_targets() -> str:
    return ", ".join(sorted([*SDOS, *SCOS])) + ", or a relationship type (e.g. indicates)"


def attributes_of(target: str) -> dict[str, Kind]:
    """Every attribute a representation of ``target`` can fill, in display order (for forms)."""
    if target in SDOS:
        return {**SDOS[target], **_SDO_COMMON}
    if target in SCOS:
        hashes = {f"hashes.{a}": Kind.HASH for a in HASH_ALGORITHMS} if target in HASHED else {}
        return {**SCOS[target], **hashes, **_SCO_COMMON}
    return dict(RELATIONSHIP)
