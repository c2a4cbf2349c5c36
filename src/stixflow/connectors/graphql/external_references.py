"""External references (``externalReference``, ``externalReferences``, ``externalReferenceAdd``,
``externalReferenceEdit { delete }``): connectors create them, then add them to objects by id
(``<entity>Edit { relationAdd(external-reference) }``)."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from stixflow.connectors.graphql import files, lookup, meta, writes
from stixflow.connectors.graphql.context import context_of
from stixflow.connectors.graphql.entities import READERS

query, mutation = QueryType(), MutationType()
edit_type = ObjectType("ExternalReferenceEditMutations")

SDL = """
scalar ExternalReferencesOrdering
scalar ExternalReferenceAddInput

type ExternalReferenceEditMutations {
  delete: ID
  importPush(file: Upload!, version: DateTime, fileMarkings: [String], noTriggerImport: Boolean,
             embedded: Boolean): StixNode
}

extend type Query {
  externalReference(id: String!): StixNode
  externalReferences(filters: FilterGroup, search: String, first: Int, after: ID,
                     orderBy: ExternalReferencesOrdering, orderMode: OrderingMode): StixNode
}

extend type Mutation {
  externalReferenceAdd(input: ExternalReferenceAddInput!): StixNode
  externalReferenceEdit(id: ID!): ExternalReferenceEditMutations
}
"""


@query.field("externalReference")
def resolve_reference(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    found = meta.find_references(context_of(info, *READERS), [id])
    return found[0] if found else None


@query.field("externalReferences")
def resolve_references(
    _: None,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    context = context_of(info, *READERS)
    tree = lookup.parse_filters(filters)
    found = [n for n in meta.find_references(context) if lookup.matches(n, n, tree)]
    return lookup.connection(found, first, after)


@mutation.field("externalReferenceAdd")
def resolve_reference_add(
    _: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    context = context_of(info, *writes.WRITERS)
    with context.runtime.db.transaction() as tx:
        return meta.create_reference(tx, input)


@mutation.field("externalReferenceEdit")
def resolve_reference_edit(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, str]:
    context_of(info, *writes.WRITERS)
    return {"id": id}


@edit_type.field("delete")
def resolve_reference_delete(edit: dict[str, str], info: GraphQLResolveInfo) -> str:
    """Forget the reference entity (objects that cite it keep their copy, as STIX has it)."""
    context = context_of(info, *writes.WRITERS)
    with context.runtime.db.transaction() as tx:
        meta.delete_reference(tx, edit["id"])
    return edit["id"]


edit_type.set_field("importPush", files.import_push)

BINDABLES = (query, mutation, edit_type)
