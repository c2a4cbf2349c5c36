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

query, mutation = QueryType(), MutationType()

EDIT_ROOTS = ("stixCoreRelationshipEdit",)
SDL = (
    entities.sdl((), EDIT_ROOTS)
    + """

scalar StixCoreRelationshipsOrdering
scalar StixCoreRelationshipAddInput

extend type Query {
  stixCoreRelationship(id: String!): StixNode
  stixCoreRelationships(fromOrToId: [String], elementWithTargetTypes: [String], fromId: [String],
    fromTypes: [String], toId: [String], toTypes: [String], relationship_type: [String],
    startTimeStart: DateTime, startTimeStop: DateTime, stopTimeStart: DateTime,
    stopTimeStop: DateTime, filters: FilterGroup, first: Int, after: ID,
    orderBy: StixCoreRelationshipsOrdering, orderMode: OrderingMode, search: String): StixNode
}

extend type Mutation {
  stixCoreRelationshipAdd(input: StixCoreRelationshipAddInput!): StixNode
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
            raise writes.NotFound(f"no object {fields[side]}")
    obj = inputs.stix_of(context, "relationship", fields)
    return nodes.node(context, writes.write(context, [obj])[0])


BINDABLES = (query, mutation, *entities.bind((), EDIT_ROOTS))
