"""Our stored STIX objects as OpenCTI entities (what pycti reads): the STIX properties at top
level, plus OpenCTI's names for the type (``entity_type``, ``parent_types``), the observable's
value, and its references as entities (``createdBy``, ``objectMarking``, ``objectLabel``,
``externalReferences``), each reference cut by the reader's markings."""

from __future__ import annotations

from typing import Any

from stixflow.access import markings
from stixflow.connectors.graphql import attachments, meta
from stixflow.connectors.graphql.context import Context
from stixflow.store.base import StixObject

SPECIAL_TYPES = {
    "ipv4-addr": "IPv4-Addr",
    "ipv6-addr": "IPv6-Addr",
    "file": "StixFile",
    "x-opencti-hostname": "Hostname",
    "x-opencti-text": "Text",
    "x-opencti-user-agent": "User-Agent",
    "threat-actor": "Threat-Actor-Group",
    "x-opencti-case-incident": "Case-Incident",
    "x509-certificate": "X509-Certificate",
}
IDENTITY_TYPES = {"class": "Sector", "individual": "Individual", "system": "System"}
LOCATION_TYPES = ("Country", "City", "Region", "Position", "Administrative-Area")
OBSERVABLE_TYPES = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
        "email-message", "email-mime-part-type", "file", "ipv4-addr", "ipv6-addr", "mac-addr",
        "mutex", "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "windows-registry-value-type", "x509-certificate",
        "cryptocurrency-wallet", "cryptographic-key", "hostname", "text", "user-agent",
        "bank-account", "phone-number", "credential", "tracking-number", "payment-card",
        "media-content", "persona", "ssh-key",
    }
)  # fmt: skip
RELATIONSHIP_TYPES = frozenset({"relationship", "sighting"})
VALUE_KEYS = ("value", "name", "number", "path", "key", "body", "hashes", "subject")


def entity_type(obj: StixObject) -> str:
    """OpenCTI's entity type of a STIX object (``IPv4-Addr``, ``Malware``, ``Organization``)."""
    stix_type = str(obj.get("type", ""))
    if stix_type == "identity":
        return IDENTITY_TYPES.get(str(obj.get("identity_class")), "Organization")
    if stix_type == "location":
        wanted = str(obj.get("x_opencti_location_type", ""))
        return wanted if wanted in LOCATION_TYPES else "Country"
    if stix_type == "relationship":
        return str(obj.get("relationship_type", "related-to"))
    if stix_type in SPECIAL_TYPES:
        return SPECIAL_TYPES[stix_type]
    return "-".join(part.capitalize() for part in stix_type.split("-"))


def parent_types(obj: StixObject) -> list[str]:
    stix_type = str(obj.get("type", ""))
    if stix_type in RELATIONSHIP_TYPES:
        return ["Basic-Relationship", "Stix-Relationship", "stix-core-relationship"]
    kind = "Stix-Cyber-Observable" if is_observable(obj) else "Stix-Domain-Object"
    return ["Basic-Object", "Stix-Object", "Stix-Core-Object", kind]


def is_observable(obj: StixObject) -> bool:
    stix_type = str(obj.get("type", ""))
    return stix_type in OBSERVABLE_TYPES or stix_type.removeprefix("x-opencti-") in OBSERVABLE_TYPES


def observable_value(obj: StixObject) -> str | None:
    for key in VALUE_KEYS:
        value = obj.get(key)
        if isinstance(value, dict):
            return next((str(v) for v in value.values()), None)
        if value is not None:
            return str(value)
    return None


def hashes(obj: StixObject) -> list[dict[str, str]]:
    return [{"algorithm": k, "hash": v} for k, v in (obj.get("hashes") or {}).items()]


def light(obj: StixObject) -> dict[str, Any]:
    """What a filter may ask of an object beyond its STIX properties, without reading anything
    else (``node`` reads its references)."""
    out: dict[str, Any] = {
        "id": obj["id"],
        "standard_id": obj["id"],
        "entity_type": entity_type(obj),
        "parent_types": parent_types(obj),
    }
    if is_observable(obj):
        out["observable_value"] = observable_value(obj)
    return out


def node(context: Context, obj: StixObject) -> dict[str, Any]:
    """``obj`` as OpenCTI answers it, references cut by the reader's markings."""
    out: dict[str, Any] = {k: v for k, v in obj.items() if k not in ("hashes", "labels")}
    out.update(
        id=obj["id"],
        standard_id=obj["id"],
        entity_type=entity_type(obj),
        parent_types=parent_types(obj),
        createdBy=_author(context, obj.get("created_by_ref")),
        objectMarking=[_marking(context, ref) for ref in obj.get("object_marking_refs") or []],
        objectLabel=[meta.label_node(label) for label in meta.labels_of(context, obj)],
        externalReferences=[meta.reference_node(r) for r in obj.get("external_references") or []],
        importFiles=attachments.import_files(context, obj["id"]),
        x_opencti_stix_ids=[],
        x_opencti_aliases=obj.get("x_opencti_aliases") or [],
        created_at=obj.get("created"),
        updated_at=obj.get("modified"),
    )
    if "hashes" in obj:
        out["hashes"] = hashes(obj)
    if is_observable(obj):
        out["observable_value"] = observable_value(obj)
        out["indicators"] = {"edges": [{"node": n} for n in _indicators_of(context, obj["id"])]}
    if obj.get("type") == "relationship":
        out["from"] = _ref(context, obj.get("source_ref"))
        out["to"] = _ref(context, obj.get("target_ref"))
    return out


def _indicators_of(context: Context, observable_id: str) -> list[dict[str, Any]]:
    """The indicators ``based-on`` the observable that the reader may see (pycti reads them as
    ``indicatorsIds``; enrichment connectors such as hygiene score them too)."""
    found = []
    for rel in context.runtime.store.relationships(observable_id, access=context.access):
        source = rel.get("source_ref")
        if (
            rel.get("relationship_type") == "based-on"
            and rel.get("target_ref") == observable_id
            and isinstance(source, str)
            and source.startswith("indicator--")
        ):
            indicator = _ref(context, source)
            if indicator is not None:
                found.append(indicator)
    return found


def _ref(context: Context, ref: Any) -> dict[str, Any] | None:
    """A referenced object (a relationship's ``from``/``to``, an author, an observable's
    indicator) as OpenCTI answers it inside another entity: its STIX properties, OpenCTI's
    names and dates, and its labels as entities (``objectLabel { id value color }``: connectors
    such as scoring-calculator weigh a relationship's ends by them); not its own references."""
    if not isinstance(ref, str):
        return None
    stored = context.runtime.store.get(ref, access=context.access)
    if stored is None:
        return None
    obj = stored.data
    out: dict[str, Any] = {k: v for k, v in obj.items() if k not in ("hashes", "labels")}
    out.update(name=obj.get("name"), value=obj.get("value"), observable_value=None)
    out.update(light(obj))
    out.update(
        objectLabel=[meta.label_node(label) for label in meta.labels_of(context, obj)],
        created_at=obj.get("created"),
        updated_at=obj.get("modified"),
    )
    if "hashes" in obj:
        out["hashes"] = hashes(obj)
    return out


def _author(context: Context, ref: Any) -> dict[str, Any] | None:
    found = _ref(context, ref)
    if found is not None:
        markings_ = [_marking(context, r) for r in found.get("object_marking_refs") or []]
        found.update(objectMarking=markings_)
        found.setdefault("x_opencti_reliability", None)
    return found


def _marking(context: Context, ref: str) -> dict[str, Any]:
    stored = context.runtime.store.get(ref, access=context.access)
    if stored is None:
        return {"id": ref, "standard_id": ref, "entity_type": "Marking-Definition"}
    return marking_node(markings.marking_of(stored.data))


def marking_node(marking: markings.Marking) -> dict[str, Any]:
    """A marking as OpenCTI names it: ``TLP`` / ``TLP:CLEAR``, ``PAP`` / ``PAP:RED``,
    ``statement`` / its text."""
    kind = marking.definition_type
    if kind == "tlp":
        kind = "TLP"
    elif marking.name.upper().startswith("PAP:"):
        kind = "PAP"
    definition = marking.name if kind in ("TLP", "PAP") else marking.definition
    return {
        "id": marking.id,
        "standard_id": marking.id,
        "entity_type": "Marking-Definition",
        "parent_types": ["Basic-Object", "Stix-Object", "Stix-Meta-Object"],
        "definition_type": kind,
        "definition": definition,
        "x_opencti_order": 0,
        "x_opencti_color": None,
        "created": None,
        "modified": None,
        "created_at": None,
        "updated_at": None,
    }
