"""OpenCTI's create inputs (``MalwareAddInput``, ``IndicatorAddInput``…) as STIX objects: the
STIX properties pass through, OpenCTI's reference fields become STIX references (``createdBy``
-> ``created_by_ref``, ``objectMarking`` -> ``object_marking_refs`` by id or OpenCTI name,
``objectLabel`` -> ``labels``, ``externalReferences`` -> ``external_references``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stixflow.access import markings
from stixflow.connectors.graphql import meta, meta_objects, writes
from stixflow.connectors.graphql.context import Context
from stixflow.store.base import StixObject

#: OpenCTI-only inputs with no STIX meaning here (accepted, not stored).
IGNORED = frozenset(
    {
        "update", "upsertOperations", "files", "filesMarkings", "noTriggerImport", "embedded",
        "objectOrganization", "x_opencti_workflow_id", "customFieldValues", "clientMutationId",
        "x_opencti_stix_ids", "x_opencti_modified_at", "createIndicator", "objectAssignee",
        "objectParticipant", "x_opencti_create_observables",
        "basedOn", "stix_id", "type",
    }
)  # fmt: skip
RENAMED = {"first_seen": "first_seen", "last_seen": "last_seen"}


def refs(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """OpenCTI's reference inputs as STIX properties."""
    out: dict[str, Any] = {}
    if data.get("createdBy"):
        out["created_by_ref"] = str(data["createdBy"])
    if data.get("objectMarking"):
        with context.runtime.db.read() as tx:
            out["object_marking_refs"] = [
                markings.resolve_marking(tx, str(m)) for m in data["objectMarking"]
            ]
    if data.get("objectLabel"):
        out["labels"] = [meta.label_value(context, str(v)) for v in data["objectLabel"]]
    if data.get("killChainPhases"):
        out["kill_chain_phases"] = meta_objects.stix_phases(
            context, [str(p) for p in data["killChainPhases"]]
        )
    if data.get("objects"):
        out["object_refs"] = [str(o) for o in data["objects"]]
    if data.get("externalReferences"):
        out["external_references"] = [
            meta.reference(context, str(r)) for r in data["externalReferences"]
        ]
    return out


def stix_of(context: Context, stix_type: str, data: dict[str, Any]) -> StixObject:
    skip = IGNORED | {
        "createdBy", "objectMarking", "objectLabel", "externalReferences", "objects",
        "killChainPhases",
    }  # fmt: skip
    fields = {k: v for k, v in data.items() if k not in skip}
    if data.get("stix_id"):
        fields["id"] = str(data["stix_id"])
    fields.update(refs(context, data))
    return writes.new_object(stix_type, fields)


def builder(stix_type: str, **extra: Any) -> Callable[[Context, dict[str, Any]], StixObject]:
    """A create-input builder for ``stix_type`` (``extra``: properties every object gets)."""

    def build(context: Context, data: dict[str, Any]) -> StixObject:
        fields = {**extra, **{k: v for k, v in data.items() if v is not None}}
        if stix_type == "indicator":  # OpenCTI's default: valid from its creation
            fields.setdefault("valid_from", writes.now())
        return stix_of(context, stix_type, fields)

    return build


def identity_builder(context: Context, data: dict[str, Any]) -> StixObject:
    classes = {"Individual": "individual", "System": "system", "Sector": "class"}
    identity_class = classes.get(str(data.get("type")), "organization")
    return stix_of(context, "identity", {**data, "identity_class": identity_class})


def location_builder(context: Context, data: dict[str, Any]) -> StixObject:
    kind = str(data.get("type") or "Country")
    fields = {**data, "x_opencti_location_type": kind}
    if kind in ("Country", "Region"):  # STIX wants the place in its own property
        fields.setdefault(kind.lower(), data.get("name"))
    return stix_of(context, "location", fields)


def case_builder(context: Context, data: dict[str, Any]) -> StixObject:
    fields = dict(data)
    fields.setdefault("created", writes.now())
    return stix_of(context, "x-opencti-case-incident", fields)
