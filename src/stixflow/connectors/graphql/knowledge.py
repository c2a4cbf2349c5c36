"""The extra calls many connectors make at start-up (spec §9.6 "what breaks it"): creating
their author identity (``organizationAdd``, ``identityAdd``, ``individualAdd``,
``systemAdd``) and reading a marking by definition (``markingDefinitions(filters)``)."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from stixflow.access import markings, organizations
from stixflow.access.capabilities import Capability
from stixflow.clock import now
from stixflow.connectors.graphql.context import Context, context_of
from stixflow.connectors.graphql.nodes import marking_node
from stixflow.errors import AccessDenied, InvalidInput, NotFound
from stixflow.stix.ids import standard_id
from stixflow.stix.markings import TLP1_MARKINGS
from stixflow.store.base import Provenance

query = QueryType()
mutation = MutationType()

WRITERS = (Capability.KNOWLEDGE_UPDATE, Capability.CONNECTORAPI)
IDENTITY_CLASSES = {
    "organization": "organization",
    "individual": "individual",
    "system": "system",
    "sector": "class",
    "securityplatform": "system",
}
OPENCTI_TLP_IDS = frozenset(m["id"] for m in TLP1_MARKINGS)
MARKING_FILTER_KEYS = ("definition", "definition_type", "id", "standard_id")


def identity_node(identity_id: str, entity_type: str, name: str) -> dict[str, Any]:
    return {
        "id": identity_id,
        "standard_id": identity_id,
        "entity_type": entity_type,
        "parent_types": ["Basic-Object", "Stix-Object", "Stix-Core-Object", "Identity"],
        "name": name,
    }


def _organization(context: Context, name: str) -> dict[str, Any]:
    runtime = context.runtime
    with runtime.db.transaction() as tx:
        try:
            org = organizations.find_organization(tx, name)
        except NotFound:
            org = organizations.insert_organization(
                tx, runtime.store, name, user_id=context.user_id
            )
    return identity_node(org.id, "Organization", org.name)


def _identity(context: Context, name: str, entity_type: str, description: str | None) -> Any:
    identity_class = IDENTITY_CLASSES.get(entity_type.lower())
    if identity_class is None:
        raise InvalidInput(f"unknown identity type {entity_type!r}")
    stamp = now()
    obj: dict[str, Any] = {
        "type": "identity",
        "spec_version": "2.1",
        "name": name,
        "identity_class": identity_class,
        "created": stamp,
        "modified": stamp,
        **({"description": description} if description else {}),
    }
    obj["id"] = standard_id(obj)
    provenance = Provenance(seen_at=stamp, user_id=context.user_id, source="connectors")
    with context.runtime.db.transaction() as tx:
        written = context.runtime.store.upsert(
            tx, [obj], provenance=provenance, writer=context.access
        )
    if written.refused:
        raise AccessDenied(
            Capability.KNOWLEDGE_UPDATE,
            f"cannot update {obj['id']}: the stored object has markings you may not read",
        )
    return identity_node(obj["id"], entity_type, name)


def _add(info: GraphQLResolveInfo, input: dict[str, Any], entity_type: str) -> dict[str, Any]:
    context = context_of(info, *WRITERS)
    kind = input.get("type") or entity_type
    if str(kind).lower() == "organization":
        node = _organization(context, input["name"])
    else:
        node = _identity(context, input["name"], str(kind), input.get("description"))
    if input.get("stix_id") and input["stix_id"] != node["id"]:
        _remember_alias(context, str(input["stix_id"]), node["id"])
    return node


def _remember_alias(context: Context, stix_id: str, object_id: str) -> None:
    """The id the caller gave (a bundle's identity id) now names the stored identity: objects
    that reference it later point at the stored one (the store resolves known aliases)."""
    stored = context.runtime.store.get(object_id, access=context.access)
    if stored is None:
        return
    provenance = Provenance(seen_at=now(), user_id=context.user_id, source="connectors")
    with context.runtime.db.transaction() as tx:
        context.runtime.store.upsert(
            tx,
            [stored.data],
            provenance=provenance,
            aliases={stix_id: object_id},
            writer=context.access,
        )


@mutation.field("organizationAdd")
def resolve_organization_add(
    _: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    return _add(info, input, "Organization")


@mutation.field("identityAdd")
def resolve_identity_add(
    _: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    return _add(info, input, "Organization")


@mutation.field("individualAdd")
def resolve_individual_add(
    _: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    return _add(info, {**input, "type": "Individual"}, "Individual")


@mutation.field("systemAdd")
def resolve_system_add(_: None, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    return _add(info, {**input, "type": "System"}, "System")


def _matches(node: dict[str, Any], filters: dict[str, Any] | None) -> bool:
    """OpenCTI's FilterGroup, reduced to what connectors send: equality on a few keys, 'and'."""
    for item in (filters or {}).get("filters") or []:
        key = item.get("key")
        key = key[0] if isinstance(key, list) and key else key
        values = [str(v).lower() for v in item.get("values") or []]
        if key in MARKING_FILTER_KEYS and str(node.get(key)).lower() not in values:
            return False
    return True


def _opencti_first(node: dict[str, Any]) -> bool:
    """OpenCTI's own TLP markings (the 1.0 ids, its AMBER+STRICT) before the OASIS 2.0 ones
    of the same name, so a read by name finds the marking OpenCTI data carries."""
    return node["id"] not in OPENCTI_TLP_IDS


@query.field("markingDefinition")
def resolve_marking(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    context = context_of(info)
    found = [m for m in markings.list_markings(context.runtime.store, context.access) if m.id == id]
    return marking_node(found[0]) if found else None


@query.field("markingDefinitions")
def resolve_markings(
    _: None,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
    orderBy: str | None = None,
    orderMode: str | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    """One page holds every marking (there are few): ``after`` and ordering are ignored."""
    context = context_of(info)
    nodes = [marking_node(m) for m in markings.list_markings(context.runtime.store, context.access)]
    nodes.sort(key=_opencti_first)
    found = [node for node in nodes if _matches(node, filters)][: first or None]
    return {
        "edges": [{"node": node} for node in found],
        "pageInfo": {
            "startCursor": None,
            "endCursor": None,
            "hasNextPage": False,
            "hasPreviousPage": False,
            "globalCount": len(found),
        },
    }


BINDABLES = (query, mutation)
