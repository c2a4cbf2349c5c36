"""OpenCTI's entity type names for STIX objects (``Malware``, ``IPv4-Addr``, ``StixFile``):
what a listen job's ``entity_type`` says, and what enrichment scopes name.

pycti picks the GraphQL reader of an enrichment job's entity by this name
(``OpenCTIStix2.get_reader``): a STIX type (``malware``) would find none, and the job would fail
with "Unable to read/access the entity". Types are the STIX type in OpenCTI's casing, with the
exceptions below; identities and locations take their class (``Organization``, ``Country``).
"""

from __future__ import annotations

from typing import Any

#: STIX types whose OpenCTI name is not their title-cased STIX type.
SPECIAL = {
    "ipv4-addr": "IPv4-Addr",
    "ipv6-addr": "IPv6-Addr",
    "file": "StixFile",
    "url": "Url",
    "x509-certificate": "X509-Certificate",
    "email-mime-part-type": "Email-Mime-Part-Type",
    "threat-actor": "Threat-Actor-Group",
    "x-opencti-hostname": "Hostname",
    "x-opencti-text": "Text",
    "x-opencti-user-agent": "User-Agent",
    "x-opencti-cryptocurrency-wallet": "Cryptocurrency-Wallet",
    "x-opencti-cryptographic-key": "Cryptographic-Key",
    "x-opencti-phone-number": "Phone-Number",
}
IDENTITY_CLASSES = {
    "organization": "Organization",
    "individual": "Individual",
    "class": "Sector",
    "system": "System",
}


def entity_type(obj: dict[str, Any]) -> str:
    """The OpenCTI entity type of a STIX object."""
    stix_type = str(obj.get("type", ""))
    if stix_type == "identity":
        return IDENTITY_CLASSES.get(str(obj.get("identity_class", "")).lower(), "Identity")
    if stix_type == "location":
        kind = obj.get("x_opencti_location_type")
        return str(kind) if kind else "Location"
    if stix_type in SPECIAL:
        return SPECIAL[stix_type]
    return "-".join(part.capitalize() for part in stix_type.split("-"))


def names_of(obj: dict[str, Any]) -> set[str]:
    """The names a scope may use for this object, lower-cased: its STIX and OpenCTI types."""
    return {str(obj.get("type", "")).lower(), entity_type(obj).lower()}
