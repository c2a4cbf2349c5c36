"""Labels (``label``, ``labels``, ``labelAdd``): connectors create them, then put them on objects
by id (``<entity>Edit { relationAdd(object-label) }``). Anyone who reads knowledge reads them."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from stixflow.connectors.graphql import lookup, meta, writes
from stixflow.connectors.graphql.context import context_of
from stixflow.connectors.graphql.entities import READERS
from stixflow.errors import InvalidInput

query, mutation = QueryType(), MutationType()

SDL = """
scalar LabelsOrdering
scalar LabelAddInput

extend type Query {
  label(id: String!): StixNode
  labels(filters: FilterGroup, search: String, first: Int, after: ID, orderBy: LabelsOrdering,
         orderMode: OrderingMode): StixNode
}

extend type Mutation {
  labelAdd(input: LabelAddInput!): StixNode
}
"""


@query.field("label")
def resolve_label(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    context = context_of(info, *READERS)
    found = [row for row in meta.find_labels(context, None) if id in (row[0], row[1])]
    return meta.label_node(found[0]) if found else None


@query.field("labels")
def resolve_labels(
    _: None,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    context = context_of(info, *READERS)
    tree = lookup.parse_filters(filters)
    found = []
    for row in meta.find_labels(context, None):
        node = meta.label_node(row)
        if search and search.lower() not in row[1].lower():
            continue
        if lookup.matches(node, node, tree):
            found.append(node)
    return lookup.connection(found, first, after)


@mutation.field("labelAdd")
def resolve_label_add(_: None, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    context = context_of(info, *writes.WRITERS)
    value = str(input.get("value") or "").strip()
    if not value:
        raise InvalidInput("a label needs a value")
    with context.runtime.db.transaction() as tx:
        row = meta.create_label(tx, value, input.get("color"))
    return meta.label_node(row)


BINDABLES = (query, mutation)
