"""Resolvers for connectors: ``about``, ``connector``, ``registerConnector``, ``pingConnector``
(with reset semantics, spec §9.3; its answer carries the key set that signs HTTP listen
callbacks, ``jwks``, and the callback URI), ``resetStateConnector``, ``deleteConnector``,
``stixBundlePush`` (the HTTP queue protocol).

A connector's ``config`` carries its own broker account (``connection.user``/``pass``): only the
connector's user (who registered it) and administrators get them; other readers get the
connector with null credentials."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from stixflow import __version__
from stixflow.access.capabilities import Capability
from stixflow.connectors import broker
from stixflow.connectors.callbacks import CallbackRecords
from stixflow.connectors.graphql.context import Context, context_of
from stixflow.connectors.model import Connector, ConnectorType
from stixflow.connectors.schemas import ConnectorRegister
from stixflow.connectors.signing import CallbackSigner
from stixflow.stix.bundle import parse_bundle

query = QueryType()
mutation = MutationType()

API = Capability.CONNECTORAPI
READERS = (Capability.CONNECTORAPI, Capability.KNOWLEDGE)


def may_see_account(context: Context, connector: Connector) -> bool:
    """The broker account goes to the connector's own user and to administrators."""
    own = connector.user_id is not None and connector.user_id == context.user_id
    return own or context.actor.is_admin


def connector_node(
    context: Context, connector: Connector, coords: broker.Coordinates | None = None
) -> dict[str, Any]:
    """A Connector as OpenCTI returns it (its broker account only to ``may_see_account``)."""
    service = context.connectors
    out = service.out(connector)
    if coords is None:
        coords = broker.coordinates(
            service.runtime.settings,
            connector.id,
            user=connector.broker_user,
            secret=connector.broker_secret,
        )
    config = coords.as_config()
    config["listen_callback_uri"] = CallbackRecords(service.runtime.db).get(connector.id)
    if not may_see_account(context, connector):
        config["connection"] = {**config["connection"], "user": None, "pass": None}
    return {
        "id": connector.id,
        "name": connector.name,
        "active": out.status in ("alive", "running"),
        "auto": connector.auto,
        "only_contextual": connector.only_contextual,
        "connector_type": connector.type.value,
        "connector_scope": connector.scope,
        "connector_state": connector.state,
        "connector_state_reset": connector.state_reset,
        "connector_info": connector.info,
        "connector_queue_details": {
            "messages_number": out.queue_depth,
            "messages_size": service.push_bytes(connector),
        },
        "connector_user_id": connector.user_id,
        "updated_at": connector.updated_at,
        "created_at": connector.created_at,
        "config": config,
        "built_in": connector.built_in,
        "jwks": CallbackSigner(service.runtime.secrets).jwks(),
    }


@query.field("about")
def resolve_about(_: None, info: GraphQLResolveInfo) -> dict[str, str]:
    context_of(info)
    return {"version": __version__}


@query.field("connector")
def resolve_connector(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    context = context_of(info, *READERS)
    return connector_node(context, context.connectors.get(id))


@query.field("connectors")
def resolve_connectors(_: None, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    context = context_of(info, *READERS)
    return [connector_node(context, connector) for connector in context.connectors.list()]


@mutation.field("registerConnector")
def resolve_register(_: None, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    context = context_of(info, API)
    spec = ConnectorRegister(
        id=input["id"],
        name=input["name"],
        type=ConnectorType(input["type"]),
        scope=[s for s in input.get("scope") or [] if s],
        auto=bool(input.get("auto")),
        only_contextual=bool(input.get("only_contextual")),
    )
    registered = context.connectors.register(spec, user_id=context.user_id)
    callback = input.get("listen_callback_uri")
    with context.runtime.db.transaction() as tx:  # pycti's HTTP listen mode (callbacks.py)
        CallbackRecords(context.runtime.db).save(tx, spec.id, callback or None)
    return connector_node(context, registered.connector, registered.coordinates)


@mutation.field("pingConnector")
def resolve_ping(
    _: None,
    info: GraphQLResolveInfo,
    id: str,
    state: str | None = None,
    connectorInfo: dict[str, Any] | None = None,
) -> dict[str, Any]:
    context = context_of(info, API)
    connector, _reset = context.connectors.ping(id, state=state, info=connectorInfo)
    return connector_node(context, connector)


@mutation.field("resetStateConnector")
def resolve_reset(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    context = context_of(info, Capability.CONNECTOR_STATE)
    context.connectors.reset(id)
    return connector_node(context, context.connectors.get(id))


@mutation.field("deleteConnector")
def resolve_delete(_: None, info: GraphQLResolveInfo, id: str) -> str:
    context_of(info, Capability.CONNECTOR_STATE).connectors.delete(id)
    return id


@mutation.field("stixBundlePush")
def resolve_bundle_push(
    _: None, info: GraphQLResolveInfo, connectorId: str, bundle: str, work_id: str | None = None
) -> bool:
    context = context_of(info, API)
    context.connectors.push(
        connectorId,
        parse_bundle(bundle),
        work_id=work_id,
        default_markings=context.default_markings,
    )
    return True


BINDABLES = (query, mutation)
