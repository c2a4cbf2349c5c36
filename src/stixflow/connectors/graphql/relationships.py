"""Relationships between objects: ``stixCoreRelationship(id)``,
``stixCoreRelationships(fromId, toId, relationship_type, …)``, ``stixCoreRelationshipAdd`` and
``stixCoreRelationshipEdit``."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from stixflow.connectors.graphql import entities, inputs, lookup, nodes, writes
from stixflow.connectors.graphql.context import context_of
from stixflow.connectors.graphql.entities import READERS
from stixflow.errors import InvalidInput, NotFound

query, mutation = QueryType(), MutationType()

EDIT_ROOTS = ("stixCoreRelationshipEdit",)
SDL = (
    entities.sdl((), EDIT_ROOTS)
    + """

scalar StixCoreRelationshipsOrdering
scalar StixRefRelationshipsOrdering
scalar StixCoreRelationshipAddInput

extend type Query {
  stixCoreRelationship(id: String!): StixNode
  stixCoreRelationships(fromOrToId: [String], elementWithTargetTypes: [String], fromId: [String],
    fromTypes: [String], toId: [String], toTypes: [String], relationship_type: [String],
    startTimeStart: DateTime, startTimeStop: DateTime, stopTimeStart: DateTime,
    stopTimeStop: DateTime, filters: FilterGroup, first: Int, after: ID,
    orderBy: StixCoreRelationshipsOrdering, orderMode: OrderingMode, search: String): StixNode
  stixNestedRefRelationships(fromOrToId: String, fromId: StixRef, fromTypes: [String],
    toId: StixRef, toTypes: [String], relationship_type: [String], startTimeStart: DateTime,
    startTimeStop: DateTime, stopTimeStart: DateTime, stopTimeStop: DateTime,
    filters: FilterGroup, first: Int, after: ID, orderBy: StixRefRelationshipsOrdering,
    orderMode: OrderingMode): StixNode
}

extend type Mutation {
  stixCoreRelationshipAdd(input: StixCoreRelationshipAddInput!): StixNode
  stixRefRelationshipAdd(input: StixRefRelationshipAddInput!): StixNode
}
"""
)


@query.field("stixCoreRelationship")
def resolve_relationship(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    context = context_of(info, *READERS)
    obj = lookup.get_object(context, id, ("relationship",))
    return None if obj is None else nodes.node(context, obj)


def _keep(obj: dict[str, Any], side: str, wanted: list[str] | None) -> bool:
    return not wanted or obj.get(side) in wanted


@query.field("stixCoreRelationships")
def resolve_relationships(
    _: None,
    info: GraphQLResolveInfo,
    fromOrToId: list[str] | None = None,
    fromId: list[str] | None = None,
    toId: list[str] | None = None,
    relationship_type: list[str] | None = None,
    filters: dict[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
    search: str | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    context = context_of(info, *READERS)
    found = []
    for obj, node in lookup.find(context, ("relationship",), filters, search):
        ends = {obj.get("source_ref"), obj.get("target_ref")}
        if fromOrToId and not ends & set(fromOrToId):
            continue
        if not (_keep(obj, "source_ref", fromId) and _keep(obj, "target_ref", toId)):
            continue
        if relationship_type and obj.get("relationship_type") not in relationship_type:
            continue
        found.append(node)
    return lookup.connection(found, first, after)


#: References that are not nested-ref relationships in OpenCTI (meta references, containers).
NOT_NESTED = frozenset(
    {"created_by_ref", "object_marking_refs", "object_refs", "source_ref", "target_ref"}
)


def nested_refs(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(relationship type, target id) of an object's embedded references (``resolves_to_refs``
    -> ``resolves-to``), which OpenCTI lists as nested-ref relationships."""
    found = []
    for key, value in obj.items():
        if key in NOT_NESTED or not (key.endswith("_ref") or key.endswith("_refs")):
            continue
        kind = key.rsplit("_ref", 1)[0].replace("_", "-")
        for target in value if isinstance(value, list) else [value]:
            if isinstance(target, str):
                found.append((kind, target))
    return found


@query.field("stixNestedRefRelationships")
def resolve_nested_refs(
    _: None,
    info: GraphQLResolveInfo,
    fromOrToId: str | None = None,
    fromId: str | None = None,
    relationship_type: list[str] | None = None,
    first: int | None = None,
    after: str | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    """The embedded references of ``fromId`` (or ``fromOrToId``) the reader may see."""
    context = context_of(info, *READERS)
    source_id = fromId or fromOrToId
    source = lookup.get_object(context, str(source_id)) if source_id else None
    found = []
    for kind, target_id in nested_refs(source or {}):
        target = lookup.get_object(context, target_id)
        if target is None or (relationship_type and kind not in relationship_type):
            continue
        node = {"id": f"{kind}:{source_id}:{target_id}", "relationship_type": kind}
        node.update(entity_type=kind, parent_types=["basic-relationship", "stix-ref-relationship"])
        node.update({"from": nodes.node(context, source or {}), "to": nodes.node(context, target)})
        found.append(node)
    return lookup.connection(found, first, after)


#: OpenCTI's names of nested references (``obs_resolves-to``) -> the STIX property base.
NESTED_PREFIX = "obs_"


def _add_nested(obj: dict[str, Any], kind: str, target: str) -> None:
    """Set the embedded reference ``kind`` of ``obj`` (``resolves-to`` -> ``resolves_to_refs``;
    a singular ``*_ref`` when the object has that one)."""
    base = kind.removeprefix(NESTED_PREFIX).replace("-", "_")
    if f"{base}_ref" in obj:
        obj[f"{base}_ref"] = target
    elif target not in (obj.get(f"{base}_refs") or []):
        obj[f"{base}_refs"] = [*(obj.get(f"{base}_refs") or []), target]


@mutation.field("stixRefRelationshipAdd")
def resolve_nested_ref_add(
    _: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """A nested-ref relationship: an embedded reference written into its source object."""
    context = context_of(info, *writes.WRITERS)
    source, target = str(input.get("fromId")), str(input.get("toId"))
    kind = str(input.get("relationship_type") or "")
    if kind.removeprefix(NESTED_PREFIX) in ("", "object-label", "external-reference"):
        raise InvalidInput(f"stixRefRelationshipAdd of {kind!r} is not served")
    target_obj = lookup.get_object(context, target)
    if target_obj is None:
        raise NotFound(f"no object {target}")
    stored = writes.edit(context, source, lambda obj: _add_nested(obj, kind, target_obj["id"]))
    name = kind.removeprefix(NESTED_PREFIX)
    return {
        "id": f"{name}:{stored['id']}:{target_obj['id']}",
        "standard_id": f"{name}:{stored['id']}:{target_obj['id']}",
        "entity_type": name,
        "parent_types": ["basic-relationship", "stix-ref-relationship"],
        "from": nodes.node(context, stored),
        "to": nodes.node(context, target_obj),
    }


@mutation.field("stixCoreRelationshipAdd")
def resolve_relationship_add(
    _: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    context = context_of(info, *writes.WRITERS)
    data = dict(input)
    fields = {
        **{k: v for k, v in data.items() if k not in ("fromId", "toId")},
        "source_ref": data.get("fromId"),
        "target_ref": data.get("toId"),
    }
    for side in ("source_ref", "target_ref"):
        if lookup.get_object(context, str(fields[side])) is None:
            raise NotFound(f"no object {fields[side]}")
    obj = inputs.stix_of(context, "relationship", fields)
    return nodes.node(context, writes.write(context, [obj])[0])


BINDABLES = (query, mutation, *entities.bind((), EDIT_ROOTS))
