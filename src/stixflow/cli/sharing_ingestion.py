"""What ``stixflow ingest taxii-push …`` and ``stixflow ingest live-stream …`` talk to.

``PushClient`` and ``SyncClient`` are the interfaces; locally ``PushService`` and ``SyncService``
(acting as the local administrator) implement them, remotely ``RemotePush`` and ``RemoteSyncs``
over ``/api/ingestion/taxii-push`` and ``/api/ingestion/live-streams`` of another instance.
``push_command`` and ``sync_command`` pick one from the ``ingest`` group's ``--url``/``--token``.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from stixflow.cli.clients import client_command
from stixflow.cli.context import local_actor
from stixflow.cli.remote import ApiClient, body_of, segment
from stixflow.streams.sync.service import (
    RemoteIn,
    RemoteStreamOut,
    SyncCreate,
    SyncOut,
    SyncResetOut,
    SyncService,
)
from stixflow.taxii.push import PushCreate, PushOut, PushService

Out = TypeVar("Out", bound=BaseModel)


class PushClient(Protocol):
    def list(self) -> list[PushOut]: ...
    def get(self, ref: str) -> PushOut: ...
    def create(self, spec: PushCreate) -> PushOut: ...
    def set_running(self, ref: str, running: bool) -> PushOut: ...
    def delete(self, ref: str) -> None: ...


class SyncClient(Protocol):
    def remote_streams(self, remote: RemoteIn) -> list[RemoteStreamOut]: ...
    def list(self) -> list[SyncOut]: ...
    def get(self, ref: str) -> SyncOut: ...
    def create(self, spec: SyncCreate) -> SyncOut: ...
    def set_running(self, ref: str, running: bool) -> SyncOut: ...
    def reset(self, ref: str) -> SyncResetOut: ...
    def delete(self, ref: str) -> None: ...


class _Remote(Generic[Out]):
    """List, get, create, start/stop and delete over one ``/api/ingestion/{kind}`` collection."""

    path: str
    model: type[Out]

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def _at(self, ref: str, action: str | None = None) -> str:
        return f"{self.path}/{segment(ref)}" + (f"/{action}" if action else "")

    def list(self) -> list[Out]:
        return [self.model.model_validate(item) for item in self.api.call("GET", self.path)]

    def get(self, ref: str) -> Out:
        return self.model.model_validate(self.api.call("GET", self._at(ref)))

    def create(self, spec: BaseModel) -> Out:
        return self.model.model_validate(self.api.call("POST", self.path, body=body_of(spec)))

    def set_running(self, ref: str, running: bool) -> Out:
        answer = self.api.call("POST", self._at(ref, "start" if running else "stop"))
        return self.model.model_validate(answer)

    def delete(self, ref: str) -> None:
        self.api.call("DELETE", self._at(ref))


class RemotePush(_Remote[PushOut]):
    """``PushClient`` over the HTTP API."""

    path = "/api/ingestion/taxii-push"
    model = PushOut


class RemoteSyncs(_Remote[SyncOut]):
    """``SyncClient`` over the HTTP API."""

    path = "/api/ingestion/live-streams"
    model = SyncOut

    def remote_streams(self, remote: RemoteIn) -> list[RemoteStreamOut]:
        answer = self.api.call("POST", f"{self.path}/remote-streams", body=body_of(remote))
        return [RemoteStreamOut.model_validate(item) for item in answer]

    def reset(self, ref: str) -> SyncResetOut:
        return SyncResetOut.model_validate(self.api.call("POST", self._at(ref, "reset")))


push_command = client_command(
    remote=RemotePush, local=lambda runtime: PushService(runtime, actor=local_actor(runtime))
)
"""Call the command with the chosen ``PushClient``."""
sync_command = client_command(
    remote=RemoteSyncs, local=lambda runtime: SyncService(runtime, actor=local_actor(runtime))
)
"""Call the command with the chosen ``SyncClient``."""
