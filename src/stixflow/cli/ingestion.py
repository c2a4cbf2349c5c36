"""What the ``ingest`` commands talk to.

``IngestionClient`` is the interface; ``LocalIngestion`` (the local database, acting as the local
administrator) implements it with the services, ``RemoteIngestion`` over ``/api/ingestion`` of
another instance. A command is written once against the interface; ``ingestion_command`` picks
the implementation from the ``ingest`` group's ``--url``/``--token``.
"""

from __future__ import annotations

from typing import Any, Protocol

from stixflow.cli.clients import client_command
from stixflow.cli.context import local_actor
from stixflow.cli.remote import ApiClient, body_of, segment
from stixflow.errors import InvalidInput
from stixflow.ingest import csv as csv_feed
from stixflow.ingest.schemas import IngesterCreate, IngesterOut, PreviewOut, ResetOut, RunOut
from stixflow.ingest.service import IngestionService


class IngestionClient(Protocol):
    def list(self, kind: str) -> list[IngesterOut]: ...
    def get(self, kind: str, ref: str) -> IngesterOut: ...
    def create(self, kind: str, spec: IngesterCreate) -> IngesterOut: ...
    def test(self, kind: str, spec: IngesterCreate) -> PreviewOut: ...
    def set_running(self, kind: str, ref: str, running: bool) -> IngesterOut: ...
    def reset(self, kind: str, ref: str) -> ResetOut: ...
    def run_now(self, kind: str, ref: str) -> RunOut: ...
    def delete(self, kind: str, ref: str) -> None: ...
    def duplicate(self, kind: str, ref: str) -> IngesterOut: ...


class LocalIngestion(IngestionService):
    """``IngestionService`` plus the CSV feeds' ``duplicate``."""

    def duplicate(self, kind: str, ref: str) -> IngesterOut:
        return csv_feed.duplicate(self, ref)


class RemoteIngestion:
    """``IngestionClient`` over the HTTP API (``/api/ingestion/{kind}``)."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def _path(self, kind: str, ref: str | None = None, action: str | None = None) -> str:
        parts = ["/api/ingestion", kind] + ([segment(ref)] if ref else []) + [action or ""]
        return "/".join(parts).rstrip("/")

    def _ingester(self, method: str, path: str, body: Any = None) -> IngesterOut:
        return IngesterOut.model_validate(self.api.call(method, path, body=body))

    def list(self, kind: str) -> list[IngesterOut]:
        return [IngesterOut.model_validate(item) for item in self.api.call("GET", self._path(kind))]

    def get(self, kind: str, ref: str) -> IngesterOut:
        return self._ingester("GET", self._path(kind, ref))

    def create(self, kind: str, spec: IngesterCreate) -> IngesterOut:
        return self._ingester("POST", self._path(kind), body_of(spec))

    def test(self, kind: str, spec: IngesterCreate) -> PreviewOut:
        answer = self.api.call("POST", self._path(kind, action="test"), body=body_of(spec))
        return PreviewOut.model_validate(answer)

    def set_running(self, kind: str, ref: str, running: bool) -> IngesterOut:
        return self._ingester("POST", self._path(kind, ref, "start" if running else "stop"))

    def reset(self, kind: str, ref: str) -> ResetOut:
        return ResetOut.model_validate(self.api.call("POST", self._path(kind, ref, "reset")))

    def run_now(self, kind: str, ref: str) -> RunOut:
        raise InvalidInput(
            "'run' ingests in this process, on the local database; on a remote instance "
            "'start' the ingester and its manager runs it"
        )

    def delete(self, kind: str, ref: str) -> None:
        self.api.call("DELETE", self._path(kind, ref))

    def duplicate(self, kind: str, ref: str) -> IngesterOut:
        return self._ingester("POST", self._path(kind, ref, "duplicate"))


ingestion_command = client_command(
    remote=RemoteIngestion,
    local=lambda runtime: LocalIngestion(runtime, actor=local_actor(runtime)),
)
"""Call the command with the chosen ``IngestionClient``."""
