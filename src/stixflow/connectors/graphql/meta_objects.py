"""Meta objects connectors create: marking definitions (``markingDefinitionAdd``: a TLP name,
a statement, or a named marking such as ``PAP:GREEN``) and kill chain phases
(``killChainPhaseAdd``: inline in STIX, remembered with an id in ``octi_kill_chain_phases`` so
an object created later can name them by id)."""

from __future__ import annotations

import uuid
from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from stixflow.access import markings
from stixflow.clock import now
from stixflow.connectors.graphql import lookup, writes
from stixflow.connectors.graphql.context import READERS, Context, context_of
from stixflow.connectors.graphql.nodes import marking_node
from stixflow.errors import InvalidInput, NotFound
from stixflow.stix.ids import NAMESPACE
from stixflow.stix.markings import TLP_BY_NAME, statement_marking

query, mutation = QueryType(), MutationType()

SDL = """
scalar MarkingDefinitionAddInput
scalar KillChainPhaseAddInput
scalar KillChainPhasesOrdering

extend type Query {
  killChainPhase(id: String!): StixNode
  killChainPhases(filters: FilterGroup, first: Int, after: ID, orderBy: KillChainPhasesOrdering,
                  orderMode: OrderingMode): StixNode
}

extend type Mutation {
  markingDefinitionAdd(input: MarkingDefinitionAddInput!): MarkingDefinition
  killChainPhaseAdd(input: KillChainPhaseAddInput!): StixNode
}
"""
PHASE_COLUMNS = "id, kill_chain_name, phase_name, x_opencti_order"


@mutation.field("markingDefinitionAdd")
def resolve_marking_add(_: None, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    """A TLP name answers the built-in marking; anything else is a statement marking whose
    text is the definition (its id derived from it, as OpenCTI does), named by it."""
    context = context_of(info, *writes.WRITERS)
    definition = str(input.get("definition") or "").strip()
    if not definition:
        raise InvalidInput("a marking definition needs a definition")
    if definition.upper() in TLP_BY_NAME:
        marking_id = TLP_BY_NAME[definition.upper()]["id"]
    else:
        obj = statement_marking(definition)
        obj["name"] = definition
        marking_id = writes.write(context, [obj])[0]["id"]
    stored = context.runtime.store.get(marking_id, access=context.access)
    if stored is None:
        raise NotFound(f"no marking {marking_id}")
    return marking_node(markings.marking_of(stored.data))


def phase_id(kill_chain_name: str, phase_name: str) -> str:
    key = f"kill-chain-phase:{kill_chain_name}:{phase_name}"
    return f"kill-chain-phase--{uuid.uuid5(NAMESPACE, key)}"


def phase_node(row: Any) -> dict[str, Any]:
    return {
        "id": str(row[0]),
        "standard_id": str(row[0]),
        "entity_type": "Kill-Chain-Phase",
        "kill_chain_name": str(row[1]),
        "phase_name": str(row[2]),
        "x_opencti_order": int(row[3]),
    }


def phases(context: Context, ids: list[str] | None = None) -> list[dict[str, Any]]:
    db = context.runtime.db
    sql = f"SELECT {PHASE_COLUMNS} FROM octi_kill_chain_phases"
    with db.read() as tx:
        if ids is None:
            rows = tx.fetchall(sql + " ORDER BY x_opencti_order, phase_name")
        else:
            rows = tx.fetchall(sql + " WHERE id IN " + db.in_clause(len(ids)), ids) if ids else []
    return [phase_node(row) for row in rows]


def stix_phases(context: Context, ids: list[str]) -> list[dict[str, str]]:
    """The STIX ``kill_chain_phases`` of phase ids (unknown ids are an error)."""
    found = {p["id"]: p for p in phases(context, ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no kill chain phase {missing[0]}")
    return [
        {"kill_chain_name": found[i]["kill_chain_name"], "phase_name": found[i]["phase_name"]}
        for i in ids
    ]


@mutation.field("killChainPhaseAdd")
def resolve_phase_add(_: None, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    context = context_of(info, *writes.WRITERS)
    chain, phase = str(input.get("kill_chain_name") or ""), str(input.get("phase_name") or "")
    if not chain or not phase:
        raise InvalidInput("a kill chain phase needs kill_chain_name and phase_name")
    row = (phase_id(chain, phase), chain, phase, int(input.get("x_opencti_order") or 0))
    with context.runtime.db.transaction() as tx:
        if tx.fetchone("SELECT 1 FROM octi_kill_chain_phases WHERE id = ?", (row[0],)) is None:
            tx.execute(
                f"INSERT INTO octi_kill_chain_phases ({PHASE_COLUMNS}, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (*row, now()),
            )
    return phase_node(row)


@query.field("killChainPhase")
def resolve_phase(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    found = phases(context_of(info, *READERS), [id])
    return found[0] if found else None


@query.field("killChainPhases")
def resolve_phases(
    _: None, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None, **_ignored: Any
) -> dict[str, Any]:
    tree = lookup.parse_filters(filters)
    found = [p for p in phases(context_of(info, *READERS)) if lookup.matches(p, p, tree)]
    return lookup.connection(found, None, None)


BINDABLES = (query, mutation)
