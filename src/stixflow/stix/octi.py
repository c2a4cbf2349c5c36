"""OpenCTI's names for STIX things, as its clients (pycti, its connectors) expect them.

* ``entity_type``: OpenCTI's entity type for a STIX object (``malware`` → ``Malware``,
  ``ipv4-addr`` → ``IPv4-Addr``, ``file`` → ``StixFile``, an ``identity`` by its class).
* ``with_extension``: the object with OpenCTI's property extension
  (``extension-definition--ea279b3e-…``) carrying what OpenCTI adds to every object it serves:
  its internal ``id`` (here the STIX id), ``type``, ``created_at``/``updated_at`` on the platform,
  ``is_inferred``. Keys the object already has in that extension (``score``…) are kept.
"""

from __future__ import annotations

from typing import Any

OCTI_EXTENSION = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"

SPECIAL = {
    "ipv4-addr": "IPv4-Addr",
    "ipv6-addr": "IPv6-Addr",
    "file": "StixFile",
    "url": "Url",
    "x509-certificate": "X509-Certificate",
    "relationship": "stix-core-relationship",
    "sighting": "stix-sighting-relationship",
    "x-mitre-data-source": "Data-Source",
    "x-mitre-data-component": "Data-Component",
    "x-opencti-case-incident": "Case-Incident",
    "x-opencti-case-rfi": "Case-Rfi",
    "x-opencti-case-rft": "Case-Rft",
    "x-opencti-task": "Task",
    "x-opencti-feedback": "Feedback",
}
IDENTITY_CLASSES = {
    "organization": "Organization",
    "individual": "Individual",
    "system": "System",
    "class": "Sector",
}
LOCATION_TYPES = {"region": "Region", "country": "Country", "city": "City"}


def entity_type(obj: dict[str, Any]) -> str:
    """OpenCTI's entity type of a STIX object."""
    stix_type = str(obj.get("type", ""))
    if stix_type == "identity":
        return IDENTITY_CLASSES.get(str(obj.get("identity_class", "")), "Identity")
    if stix_type == "location":
        kind = str(obj.get("x_opencti_location_type", "")).lower()
        return LOCATION_TYPES.get(kind) or ("Position" if "latitude" in obj else "Location")
    if stix_type in SPECIAL:
        return SPECIAL[stix_type]
    return "-".join(part.capitalize() for part in stix_type.split("-"))


def with_extension(
    obj: dict[str, Any], *, created_at: str | None, updated_at: str | None
) -> dict[str, Any]:
    """A copy of ``obj`` carrying OpenCTI's property extension (the object is not changed)."""
    extensions = dict(obj.get("extensions") or {})
    current = extensions.get(OCTI_EXTENSION)
    added: dict[str, Any] = {
        "extension_type": "property-extension",
        "id": obj.get("id"),
        "type": entity_type(obj),
        "created_at": created_at,
        "updated_at": updated_at or created_at,
        "is_inferred": False,
    }
    if obj.get("type") == "relationship":
        added["source_ref"], added["target_ref"] = obj.get("source_ref"), obj.get("target_ref")
    extensions[OCTI_EXTENSION] = {**added, **(current if isinstance(current, dict) else {})}
    return {**obj, "extensions": extensions}
