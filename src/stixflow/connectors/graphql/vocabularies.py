"""Open vocabularies (``vocabulary``, ``vocabularies``, ``vocabularyAdd``): the values
connectors add to OpenCTI's open vocabularies (a category such as ``report_types_ov`` and a
name). Kept in ``octi_vocabularies``; one name is one entry per category."""

from __future__ import annotations

import uuid
from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from stixflow.clock import now
from stixflow.connectors.graphql import lookup, writes
from stixflow.connectors.graphql.context import Context, context_of
from stixflow.connectors.graphql.entities import READERS
from stixflow.errors import InvalidInput
from stixflow.stix.ids import NAMESPACE

query, mutation = QueryType(), MutationType()

SDL = """
scalar VocabularyAddInput
scalar VocabularyOrdering

extend type Query {
  vocabularyCategories: StixNode
  vocabulary(id: String!): StixNode
  vocabularies(category: String, filters: FilterGroup, search: String, first: Int, after: ID,
               orderBy: VocabularyOrdering, orderMode: OrderingMode): StixNode
}

extend type Mutation {
  vocabularyAdd(input: VocabularyAddInput!): StixNode
}
"""
COLUMNS = "id, category, name, description"


def vocabulary_id(category: str, name: str) -> str:
    key = f"vocabulary:{category}:{name.strip().lower()}"
    return f"vocabulary--{uuid.uuid5(NAMESPACE, key)}"


def vocabulary_node(row: Any) -> dict[str, Any]:
    vocab_id, category, name, description = (str(v) if v is not None else None for v in row)
    return {
        "id": vocab_id,
        "standard_id": vocab_id,
        "entity_type": "Vocabulary",
        "name": name,
        "description": description,
        "category": {"key": category, "fields": []},
    }


def _all(context: Context) -> list[dict[str, Any]]:
    with context.runtime.db.read() as tx:
        rows = tx.fetchall(f"SELECT {COLUMNS} FROM octi_vocabularies ORDER BY category, name")
    return [vocabulary_node(row) for row in rows]


def _flat(node: dict[str, Any]) -> dict[str, Any]:
    """The node with ``category`` as its key, for filtering (``category = report_types_ov``)."""
    return {**node, "category": node["category"]["key"]}


@query.field("vocabularyCategories")
def resolve_categories(_: None, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    """No field is bound to a vocabulary here (values are kept as STIX has them), so there is
    no category whose fields pycti must resolve before an import."""
    context_of(info, *READERS)
    return []


@query.field("vocabulary")
def resolve_vocabulary(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    found = [n for n in _all(context_of(info, *READERS)) if n["id"] == id]
    return found[0] if found else None


@query.field("vocabularies")
def resolve_vocabularies(
    _: None,
    info: GraphQLResolveInfo,
    category: str | None = None,
    filters: dict[str, Any] | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    context = context_of(info, *READERS)
    tree = lookup.parse_filters(filters)
    found = [
        node
        for node in _all(context)
        if (category is None or node["category"]["key"] == category)
        and (not search or search.lower() in str(node["name"]).lower())
        and lookup.matches(_flat(node), _flat(node), tree)
    ]
    return lookup.connection(found, first, after)


@mutation.field("vocabularyAdd")
def resolve_vocabulary_add(
    _: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    context = context_of(info, *writes.WRITERS)
    name, category = str(input.get("name") or "").strip(), str(input.get("category") or "")
    if not name or not category:
        raise InvalidInput("a vocabulary entry needs a name and a category")
    vocab_id = vocabulary_id(category, name)
    with context.runtime.db.transaction() as tx:
        row = tx.fetchone(
            f"SELECT {COLUMNS} FROM octi_vocabularies WHERE category = ? AND name = ?",
            (category, name),
        )
        if row is None:
            row = (vocab_id, category, name, input.get("description"))
            tx.execute(
                "INSERT INTO octi_vocabularies (id, category, name, description, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (*row, now()),
            )
    return vocabulary_node(row)


BINDABLES = (query, mutation)
