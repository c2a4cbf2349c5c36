"""The one resolver pattern every entity area shares.

An area (``observables``, ``domain_objects``, ``relationships``…) lists its entities as
``Entity`` rows: the read root (``malware(id)``), the list root (``malwares(filters, search,
first, after, …)``), the create mutation (``malwareAdd(input)``, with a function turning
OpenCTI's input into a STIX object) and the edit root (``stixDomainObjectEdit(id) { relationAdd
relationDelete fieldPatch delete }``). ``sdl`` writes the area's schema from its rows and
``bind`` its resolvers. Entities are typed ``StixNode`` (``opaque.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from stixflow.connectors.graphql import edits, files, lookup, nodes, writes
from stixflow.connectors.graphql.context import READERS, Context, context_of
from stixflow.store.base import StixObject

#: OpenCTI's abstract types: a list asked for one of them reads every type of its area.
ABSTRACT_TYPES = frozenset(
    {"stix-domain-object", "stix-cyber-observable", "stix-core-object", "stix-object",
     "basic-object"}
)  # fmt: skip
Builder = Callable[[Context, dict[str, Any]], StixObject]


@dataclass(frozen=True)
class Entity:
    """One OpenCTI entity class served: ``one``/``many`` read roots over STIX ``types``."""

    one: str | None
    many: str | None
    types: tuple[str, ...]
    ordering: str = "Any"
    with_types: bool = False
    add: str | None = None
    add_input: str | None = None
    build: Builder | None = None
    extra_add_args: dict[str, str] = field(default_factory=dict)


def sdl(entities: Sequence[Entity], edit_roots: Sequence[str] = ()) -> str:
    """The schema text of an area: its read, list, create and edit roots."""
    queries, mutations, scalars = [], [], set()
    for entity in entities:
        if entity.one:
            queries.append(f"  {entity.one}(id: String!): StixNode")
        if entity.many:
            types = "types: [String], " if entity.with_types else ""
            queries.append(
                f"  {entity.many}({types}filters: FilterGroup, search: String, first: Int, "
                f"after: ID, orderBy: {entity.ordering}, orderMode: OrderingMode, "
                "toStix: Boolean): StixNode"
            )
            scalars.add(entity.ordering)
        if entity.add and entity.add_input:
            mutations.append(f"  {entity.add}(input: {entity.add_input}!): StixNode")
            scalars.add(entity.add_input)
    for root in edit_roots:
        mutations.append(f"  {root}(id: ID!): StixEditMutations")
    parts = [f"scalar {name}" for name in sorted(scalars - {"Any"})]
    if queries:
        parts.append("extend type Query {\n" + "\n".join(queries) + "\n}")
    if mutations:
        parts.append("extend type Mutation {\n" + "\n".join(mutations) + "\n}")
    return "\n\n".join(parts)


def bind(entities: Sequence[Entity], edit_roots: Sequence[str] = ()) -> tuple[Any, ...]:
    query, mutation = QueryType(), MutationType()
    for entity in entities:
        if entity.one:
            query.set_field(entity.one, _reader(entity))
        if entity.many:
            query.set_field(entity.many, _lister(entity))
        if entity.add and entity.build:
            mutation.set_field(entity.add, _adder(entity))
    for root in edit_roots:
        mutation.set_field(root, _edit_root)
    return (query, mutation)


def _reader(entity: Entity) -> Callable[..., dict[str, Any] | None]:
    def resolve(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
        context = context_of(info, *READERS)
        obj = lookup.get_object(context, id, entity.types)
        return None if obj is None else nodes.node(context, obj)

    return resolve


def _lister(entity: Entity) -> Callable[..., dict[str, Any]]:
    def resolve(
        _: None,
        info: GraphQLResolveInfo,
        types: list[str] | None = None,
        filters: dict[str, Any] | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        context = context_of(info, *READERS)
        wanted = tuple(lookup.stix_type(t) for t in types or ())
        if not wanted or any(t.lower() in ABSTRACT_TYPES for t in types or ()):
            wanted = entity.types
        found = lookup.find(context, wanted, filters, search)
        if types:
            found = [(o, n) for o, n in found if _of_types(n, types)]
        return lookup.connection([n for _, n in found], first, after)

    return resolve


def _of_types(node: dict[str, Any], types: list[str]) -> bool:
    """Whether ``node`` is of one of OpenCTI's ``types``: a type stored as its own STIX type
    was matched by the query; one sharing a STIX type (``Organization`` and ``Individual`` are
    both ``identity``) must be the node's entity type or one of its parents."""
    names = {node["entity_type"].lower(), *(p.lower() for p in node["parent_types"])}
    own = [t.lower() for t in types if lookup.stix_type(t) == t.lower()]
    return node.get("type") in own or any(t.lower() in names for t in types)


def _adder(entity: Entity) -> Callable[..., dict[str, Any]]:
    build = entity.build
    assert build is not None

    def resolve(_: None, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
        context = context_of(info, *writes.WRITERS)
        stored = writes.write(context, [build(context, input)])[0]
        return nodes.node(context, stored)

    return resolve


def _edit_root(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, str]:
    context_of(info, *writes.WRITERS)
    return {"id": id}


edit_type = ObjectType("StixEditMutations")
edit_type.set_field("relationAdd", edits.relation_add)
edit_type.set_field("relationDelete", edits.relation_delete)
edit_type.set_field("fieldPatch", edits.field_patch)
edit_type.set_field("delete", edits.delete)
edit_type.set_field("importPush", files.import_push)
edit_type.set_field("exportPush", files.export_push)
edit_type.set_field("analysisPush", files.analysis_push)

SHARED_SDL = """
# An OpenCTI entity as JSON: every field it holds, whatever the selection (opaque.py).
scalar StixNode
scalar StixRef
scalar StixId
scalar EditInput
scalar StixRefRelationshipAddInput
scalar DateTime
scalar Upload

type StixEditMutations {
  relationAdd(input: StixRefRelationshipAddInput!): StixNode
  relationDelete(toId: StixRef!, relationship_type: String!): StixNode
  fieldPatch(input: [EditInput]!, commitMessage: String, references: [String]): StixNode
  delete: ID
  importPush(file: Upload!, version: DateTime, fileMarkings: [String], noTriggerImport: Boolean,
             embedded: Boolean): StixNode
  exportPush(file: Upload!, file_markings: [String]!): Boolean
  analysisPush(file: Upload!, contentSource: String!, contentType: AnalysisContentType!,
               analysisType: String!): StixNode
}

enum AnalysisContentType {
  content
  file
  fields
}
"""
