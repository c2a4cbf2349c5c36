"""Edits of one object (``<entity>Edit(id) { relationAdd relationDelete fieldPatch delete }``):
labels, external references, markings and author are STIX properties of the object here, so
each edit writes a new version of it through ``writes.edit``."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from stixflow.access import markings
from stixflow.clock import now
from stixflow.connectors.graphql import meta, nodes, writes
from stixflow.connectors.graphql.context import Context, context_of
from stixflow.errors import InvalidInput
from stixflow.store.base import Provenance, StixObject

MULTIPLE = frozenset({"aliases", "x_opencti_aliases", "labels", "object_marking_refs", "roles"})
RENAMED = {
    "objectLabel": "labels",
    "objectMarking": "object_marking_refs",
    "createdBy": "created_by_ref",
    "x_opencti_description": "x_opencti_description",
}
READ_ONLY = frozenset({"id", "type", "spec_version", "created"})


def _marking_id(context: Context, ref: str) -> str:
    with context.runtime.db.read() as tx:
        return markings.resolve_marking(tx, ref)


def _add(context: Context, obj: StixObject, kind: str, to_id: str) -> None:
    if kind == "object-label":
        value = meta.label_value(context, to_id)
        if value not in (obj.get("labels") or []):
            obj["labels"] = [*(obj.get("labels") or []), value]
    elif kind == "external-reference":
        ref = meta.reference(context, to_id)
        current = obj.get("external_references") or []
        if meta.reference_id(ref) not in {meta.reference_id(r) for r in current}:
            obj["external_references"] = [*current, ref]
    elif kind == "object-marking":
        marking_id = _marking_id(context, to_id)
        if marking_id not in (obj.get("object_marking_refs") or []):
            obj["object_marking_refs"] = [*(obj.get("object_marking_refs") or []), marking_id]
    elif kind == "created-by":
        obj["created_by_ref"] = to_id
    else:
        raise InvalidInput(f"relationAdd of {kind!r} is not served")


def _remove(context: Context, obj: StixObject, kind: str, to_id: str) -> None:
    if kind == "object-label":
        value = meta.label_value(context, to_id)
        obj["labels"] = [v for v in obj.get("labels") or [] if v != value]
    elif kind == "external-reference":
        obj["external_references"] = [
            r for r in obj.get("external_references") or [] if meta.reference_id(r) != to_id
        ]
    elif kind == "object-marking":
        marking_id = _marking_id(context, to_id)
        obj["object_marking_refs"] = [
            m for m in obj.get("object_marking_refs") or [] if m != marking_id
        ]
    elif kind == "created-by":
        obj.pop("created_by_ref", None)
    else:
        raise InvalidInput(f"relationDelete of {kind!r} is not served")
    for key in ("labels", "external_references", "object_marking_refs"):
        if key in obj and not obj[key]:
            del obj[key]


def relation_add(edit: dict[str, str], info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:
    context = context_of(info, *writes.WRITERS)
    kind, to_id = str(input.get("relationship_type")), str(input.get("toId"))
    stored = writes.edit(context, edit["id"], lambda obj: _add(context, obj, kind, to_id))
    return {"id": edit["id"], "from": nodes.node(context, stored), "to": {"id": to_id}}


def relation_delete(
    edit: dict[str, str], info: GraphQLResolveInfo, toId: str, relationship_type: str
) -> Any:
    context = context_of(info, *writes.WRITERS)
    stored = writes.edit(
        context, edit["id"], lambda obj: _remove(context, obj, relationship_type, str(toId))
    )
    return nodes.node(context, stored)


def _patch(context: Context, obj: StixObject, items: list[dict[str, Any]]) -> None:
    for item in items:
        key = RENAMED.get(str(item.get("key")), str(item.get("key")))
        if key in READ_ONLY:
            raise InvalidInput(f"fieldPatch cannot change {key!r}")
        values = item.get("value")
        values = values if isinstance(values, list) else [values]
        operation = str(item.get("operation") or "replace")
        if key == "object_marking_refs":
            values = [_marking_id(context, str(v)) for v in values]
        if key == "labels":
            values = [meta.label_value(context, str(v)) for v in values]
        if key in MULTIPLE:
            current = list(obj.get(key) or [])
            if operation == "add":
                values = current + [v for v in values if v not in current]
            elif operation == "remove":
                values = [v for v in current if v not in values]
            _set(obj, key, values)
        else:
            _set(obj, key, _typed(key, obj.get(key), values[0] if values else None))


NUMERIC = frozenset({"x_opencti_score", "confidence", "x_opencti_base_score", "number"})


def _typed(key: str, current: Any, value: Any) -> Any:
    """OpenCTI sends every patched value as a string; numbers are stored as numbers."""
    numeric = key in NUMERIC or (isinstance(current, int | float) and not isinstance(current, bool))
    if numeric and isinstance(value, str):
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError as exc:
            raise InvalidInput(f"{key} must be a number, not {value!r}") from exc
    if isinstance(current, bool) and isinstance(value, str):
        return value.lower() == "true"
    return value


def _set(obj: StixObject, key: str, value: Any) -> None:
    if value in (None, "", []):
        obj.pop(key, None)
    else:
        obj[key] = value


def field_patch(edit: dict[str, str], info: GraphQLResolveInfo, input: list[Any], **_: Any) -> Any:
    context = context_of(info, *writes.WRITERS)
    stored = writes.edit(context, edit["id"], lambda obj: _patch(context, obj, list(input)))
    return nodes.node(context, stored)


def delete(edit: dict[str, str], info: GraphQLResolveInfo) -> str:
    context = context_of(info, *writes.WRITERS)
    provenance = Provenance(seen_at=now(), user_id=context.user_id, source=writes.SOURCE)
    if not context.runtime.store.delete(edit["id"], provenance=provenance, writer=context.access):
        raise InvalidInput(f"cannot delete {edit['id']}")
    return edit["id"]
