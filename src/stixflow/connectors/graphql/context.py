"""What every resolver gets: the runtime and the authenticated caller (from the HTTP layer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import GraphQLResolveInfo

from stixflow.access.audit import Actor
from stixflow.access.capabilities import Capability
from stixflow.connectors.service import ConnectorService
from stixflow.errors import AccessDenied
from stixflow.runtime import Runtime
from stixflow.store.base import Access

#: Who reads knowledge through the GraphQL areas.
READERS = (Capability.KNOWLEDGE, Capability.CONNECTORAPI)


@dataclass(frozen=True)
class Context:
    runtime: Runtime
    actor: Actor
    user_id: str
    can: Callable[[str], bool]
    access: Access
    default_markings: tuple[str, ...] = ()

    @property
    def connectors(self) -> ConnectorService:
        return ConnectorService(self.runtime, actor=self.actor)


def context_of(info: GraphQLResolveInfo, *capabilities: str) -> Context:
    """The caller's context, if they hold any one of ``capabilities`` (or none is asked)."""
    context: Context = info.context
    if capabilities and not any(context.can(c) for c in capabilities):
        raise AccessDenied(capabilities[0])
    return context
