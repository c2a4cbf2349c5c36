"""Deterministic STIX identifiers.

* ``observable_id``: the STIX 2.1 rule for cyber-observable objects (STIX 2.1 section 2.9,
  "Identifier", and each SCO's "ID Contributing Properties" in section 6). UUIDv5 in the OASIS
  namespace over the canonical JSON of the contributing properties, as the ``stix2`` library does.
* ``standard_id``: name-based ids for the domain objects that OpenCTI deduplicates by name (its
  "standard id"), with the same namespace, so the same threat actor or malware named by two
  sources lands on one id.

Canonical JSON follows RFC 8785 (JSON Canonicalization Scheme).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping

from stixflow.stix.timestamps import to_millis, to_stix2_library_form

NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

#: The ID contributing properties of each STIX 2.1 SCO, in the order the spec lists them.
#: ``process`` has none: its ids are always UUIDv4.
_SCO_ID_PROPERTIES: dict[str, tuple[str, ...]] = {
    "artifact": ("hashes", "payload_bin"),
    "autonomous-system": ("number",),
    "directory": ("path",),
    "domain-name": ("value",),
    "email-addr": ("value",),
    "email-message": ("from_ref", "subject", "body"),
    "file": ("hashes", "name", "parent_directory_ref", "extensions"),
    "ipv4-addr": ("value",),
    "ipv6-addr": ("value",),
    "mac-addr": ("value",),
    "mutex": ("name",),
    "network-traffic": (
        "start",
        "end",
        "src_ref",
        "dst_ref",
        "src_port",
        "dst_port",
        "protocols",
        "extensions",
    ),
    "process": (),
    "software": ("name", "cpe", "swid", "vendor", "version"),
    "url": ("value",),
    "user-account": ("account_type", "user_id", "account_login"),
    "windows-registry-key": ("key", "values"),
    "x509-certificate": ("hashes", "serial_number"),
}

SCO_TYPES: frozenset[str] = frozenset(_SCO_ID_PROPERTIES)

#: Spec names of the hash algorithms (hash-algorithm-ov), keyed by their dash-less upper form.
_HASH_NAMES = {
    "MD5": "MD5",
    "SHA1": "SHA-1",
    "SHA256": "SHA-256",
    "SHA512": "SHA-512",
    "SHA3256": "SHA3-256",
    "SHA3512": "SHA3-512",
    "SSDEEP": "SSDEEP",
    "TLSH": "TLSH",
}
#: STIX 2.1 section 2.9: when hashes contribute, only one is used, in this order of preference.
_HASH_PREFERENCE = ("MD5", "SHA-1", "SHA-256", "SHA-512")

_NAME_ONLY_TYPES = frozenset(
    {"malware", "intrusion-set", "tool", "campaign", "vulnerability"},
)
#: The types ``standard_id`` covers (``_standard_contributing`` handles each of them).
_STANDARD_TYPES = _NAME_ONLY_TYPES | {
    "identity",
    "location",
    "threat-actor",
    "attack-pattern",
    "report",
}
#: The types ``deterministic_id`` can give an id to; objects of any other type keep theirs.
DETERMINISTIC_TYPES: frozenset[str] = frozenset(
    {name for name, properties in _SCO_ID_PROPERTIES.items() if properties} | _STANDARD_TYPES
)
#: OpenCTI's property extension, where it keeps its own entity type and location type.
_OPENCTI_EXTENSION = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"


# -- canonical JSON (RFC 8785) --------------------------------------------------------------------


def canonical_json(value: object) -> str:
    """Serialise ``value`` per RFC 8785: sorted keys, no whitespace, non-ASCII kept as is.

    Raises TypeError for values JSON cannot hold and ValueError for NaN or infinities.
    """
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: object, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, Mapping):
        _write_object(value, out)
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot canonicalise a {type(value).__name__}")


def _write_object(value: Mapping[object, object], out: list[str]) -> None:
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"object keys must be strings, not {type(key).__name__}")
    # RFC 8785 section 3.2.3: keys sorted by their UTF-16 code units.
    keys = sorted(value, key=lambda k: str(k).encode("utf-16-be", "surrogatepass"))
    out.append("{")
    for index, key in enumerate(keys):
        if index:
            out.append(",")
        out.append(json.dumps(key, ensure_ascii=False))
        out.append(":")
        _write(value[key], out)
    out.append("}")


def _number(value: float) -> str:
    """ECMAScript Number-to-String (RFC 8785 section 3.2.2.3) of a finite double."""
    if not math.isfinite(value):
        raise ValueError("NaN and infinities have no JSON form")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    size = len(digits)
    if size <= point <= 21:
        return sign + digits + "0" * (point - size)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    exponent = point - 1
    mantissa = digits if size == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest round-tripping digits of ``value`` and where the decimal point goes."""
    mantissa, _, exp_text = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    leading = len(whole + fraction) - len(digits)
    point = len(whole) - leading + int(exp_text or 0)
    return digits.rstrip("0"), point


def _uuid5_id(object_type: str, contributing: Mapping[str, object]) -> str:
    return f"{object_type}--{uuid.uuid5(NAMESPACE, canonical_json(contributing))}"


# -- SCO ids (STIX 2.1) ---------------------------------------------------------------------------


def observable_id(obj: dict) -> str | None:
    """The STIX 2.1 deterministic id of an SCO, or None.

    None when ``obj`` is not one of the 18 STIX 2.1 SCO types (custom observables included), or
    when none of its ID contributing properties is present (the spec then wants a UUIDv4).
    """
    object_type = obj.get("type")
    if not isinstance(object_type, str):
        return None
    names = _SCO_ID_PROPERTIES.get(object_type)
    if not names:
        return None
    contributing: dict[str, object] = {}
    for name in names:
        value = _contributing_value(object_type, name, obj.get(name))
        if value is not None:
            contributing[name] = value
    if not contributing:
        return None
    return _uuid5_id(object_type, contributing)


def _contributing_value(object_type: str, name: str, value: object) -> object:
    if value is None:
        return None
    if name == "hashes":
        return _one_hash(value) if isinstance(value, Mapping) else None
    if object_type == "network-traffic" and name in ("start", "end") and isinstance(value, str):
        return to_stix2_library_form(value)
    return value


def _one_hash(hashes: Mapping[object, object]) -> dict[str, object] | None:
    """The single hash that contributes to an id (spec names, fixed preference order)."""
    named: dict[str, object] = {}
    for key, value in hashes.items():
        if isinstance(key, str):
            named[_HASH_NAMES.get(key.replace("-", "").upper(), key)] = value
    for preferred in _HASH_PREFERENCE:
        if preferred in named:
            return {preferred: named[preferred]}
    first = next(iter(named), None)
    return None if first is None else {first: named[first]}


# -- name-based ids (OpenCTI standard ids) --------------------------------------------------------


def standard_id(obj: dict) -> str | None:
    """The name-based id OpenCTI gives a domain object, or None for types not covered.

    Covered: identity, location, threat-actor, malware, intrusion-set, tool, campaign,
    vulnerability, attack-pattern and report. Other types (relationships, sightings,
    indicators, markings, custom types…) keep their ids. None also when the contributing
    properties are missing.
    """
    object_type = obj.get("type")
    contributing = _standard_contributing(obj, object_type)
    if contributing is None or not isinstance(object_type, str):
        return None
    return _uuid5_id(object_type, contributing)


def _standard_contributing(obj: dict, object_type: object) -> dict[str, object] | None:
    if object_type == "location":
        return _location_contributing(obj)
    if object_type == "attack-pattern":
        mitre_id = _mitre_id(obj)
        if mitre_id is not None:
            return {"x_mitre_id": mitre_id}
    name = _name(obj)
    if name is None:
        return None
    if object_type in _NAME_ONLY_TYPES or object_type == "attack-pattern":
        return {"name": name}
    if object_type == "identity":
        return _identity_contributing(obj, name)
    if object_type == "threat-actor":
        opencti_type = obj.get("x_opencti_type") or _opencti_extension(obj, "type")
        if not isinstance(opencti_type, str):
            opencti_type = "Threat-Actor-Group"
        return {"name": name, "opencti_type": opencti_type}
    if object_type == "report":
        published = obj.get("published")
        if not isinstance(published, str):
            return None
        return {"name": name, "published": to_millis(published) or published}
    return None


def _name(obj: dict) -> str | None:
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    return name.lower().strip()


def _identity_contributing(obj: dict, name: str) -> dict[str, object]:
    identity_class = obj.get("identity_class")
    if not isinstance(identity_class, str):
        return {"name": name}
    return {"name": name, "identity_class": identity_class.lower()}


def _opencti_extension(obj: dict, key: str) -> object:
    extensions = obj.get("extensions")
    if not isinstance(extensions, Mapping):
        return None
    extension = extensions.get(_OPENCTI_EXTENSION)
    return extension.get(key) if isinstance(extension, Mapping) else None


def _mitre_id(obj: dict) -> str | None:
    """``x_mitre_id``, else the external id of the first ``mitre-*`` external reference."""
    explicit = obj.get("x_mitre_id")
    if isinstance(explicit, str) and explicit.strip():
        return explicit.strip()
    references = obj.get("external_references")
    if not isinstance(references, list):
        return None
    for reference in references:
        if not isinstance(reference, Mapping):
            continue
        source = reference.get("source_name")
        external_id = reference.get("external_id")
        if (
            isinstance(source, str)
            and source.startswith("mitre-")
            and isinstance(external_id, str)
            and external_id.strip()
        ):
            return external_id.strip()
    return None


def _location_contributing(obj: dict) -> dict[str, object] | None:
    location_type = _location_type(obj)
    if location_type is None:
        return None
    if location_type == "Position":
        position = {k: obj[k] for k in ("latitude", "longitude") if obj.get(k) is not None}
        if position:
            return position
    name = _name(obj)
    if name is None:
        return None
    return {"name": name, "x_opencti_location_type": location_type}


def _location_type(obj: dict) -> str | None:
    """OpenCTI's location type: explicit if given, else the finest level the object fills in."""
    explicit = obj.get("x_opencti_location_type") or _opencti_extension(obj, "location_type")
    if isinstance(explicit, str) and explicit:
        return explicit
    for prop, location_type in (
        ("city", "City"),
        ("administrative_area", "Administrative-Area"),
        ("country", "Country"),
        ("region", "Region"),
        ("latitude", "Position"),
        ("longitude", "Position"),
    ):
        if obj.get(prop) is not None:
            return location_type
    return None


def deterministic_id(obj: dict) -> str | None:
    """``observable_id`` for SCOs, else ``standard_id``; None when neither applies (always for
    types outside ``DETERMINISTIC_TYPES``)."""
    object_type = obj.get("type")
    if not isinstance(object_type, str) or object_type not in DETERMINISTIC_TYPES:
        return None
    return observable_id(obj) or standard_id(obj)
