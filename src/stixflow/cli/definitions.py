"""What ``stixflow taxii collections`` and ``stixflow streams`` talk to.

``DefinitionClient`` is the interface over one table of saved filters; ``LocalDefinitions`` (the
local database) implements it with ``Definitions``, ``RemoteDefinitions`` over the HTTP API of
another instance (``/api/taxii/collections`` or ``/api/streams``). ``definition_command`` picks
one from the group's ``--url``/``--token``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from stixflow.cli.clients import client_command
from stixflow.cli.remote import ApiClient, body_of, segment
from stixflow.db.base import Database
from stixflow.taxii.collections import (
    DefinitionCreate,
    DefinitionOut,
    Definitions,
    DefinitionUpdate,
)


class DefinitionClient(Protocol):
    def list(self) -> list[DefinitionOut]: ...
    def create(self, spec: DefinitionCreate) -> DefinitionOut: ...
    def update(self, ref: str, patch: DefinitionUpdate) -> DefinitionOut: ...
    def delete(self, ref: str) -> None: ...


class LocalDefinitions:
    """``DefinitionClient`` over ``Definitions`` (created by nobody: the local administrator)."""

    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions

    def list(self) -> list[DefinitionOut]:
        return [definition.out() for definition in self.definitions.list()]

    def create(self, spec: DefinitionCreate) -> DefinitionOut:
        return self.definitions.create(spec, created_by=None).out()

    def update(self, ref: str, patch: DefinitionUpdate) -> DefinitionOut:
        return self.definitions.update(ref, patch).out()

    def delete(self, ref: str) -> None:
        self.definitions.delete(ref)


class RemoteDefinitions:
    """``DefinitionClient`` over the HTTP API (``path`` is the definitions' collection URL)."""

    def __init__(self, api: ApiClient, path: str) -> None:
        self.api = api
        self.path = path

    def list(self) -> list[DefinitionOut]:
        return [DefinitionOut.model_validate(item) for item in self.api.call("GET", self.path)]

    def create(self, spec: DefinitionCreate) -> DefinitionOut:
        return DefinitionOut.model_validate(self.api.call("POST", self.path, body=body_of(spec)))

    def update(self, ref: str, patch: DefinitionUpdate) -> DefinitionOut:
        answer = self.api.call("PATCH", f"{self.path}/{segment(ref)}", body=body_of(patch))
        return DefinitionOut.model_validate(answer)

    def delete(self, ref: str) -> None:
        self.api.call("DELETE", f"{self.path}/{segment(ref)}")


def definition_command(
    table: Callable[[Database], Definitions], path: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Call the command with the chosen ``DefinitionClient`` for ``table`` (remotely ``path``)."""
    return client_command(
        remote=lambda api: RemoteDefinitions(api, path),
        local=lambda runtime: LocalDefinitions(table(runtime.db)),
    )
