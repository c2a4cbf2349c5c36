"""What a connector is: its type, scope, the user it acts as, its state and its live info.

Types follow OpenCTI's ``ConnectorType`` (spec §9.1): an external import pulls remote data; an
internal enrichment listens for entities of its scope (entity types); an internal import file
listens for uploaded files of its scope (MIME types); a stream connector consumes a live stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from stixflow.queue.message import queue_name


class ConnectorType(StrEnum):
    EXTERNAL_IMPORT = "EXTERNAL_IMPORT"
    INTERNAL_ENRICHMENT = "INTERNAL_ENRICHMENT"
    INTERNAL_IMPORT_FILE = "INTERNAL_IMPORT_FILE"
    INTERNAL_EXPORT_FILE = "INTERNAL_EXPORT_FILE"
    INTERNAL_ANALYSIS = "INTERNAL_ANALYSIS"
    STREAM = "STREAM"


BUILT_IN_TYPE = ConnectorType.EXTERNAL_IMPORT


def listen_queue(connector_id: str) -> str:
    """The queue a connector receives jobs on (enrichment, import file)."""
    return f"listen_{connector_id}"


def push_queue(connector_id: str) -> str:
    """The queue a connector's data waits in before a worker applies it."""
    return queue_name(connector_id)


@dataclass
class Connector:
    id: str
    name: str
    type: ConnectorType
    scope: list[str]
    auto: bool
    only_contextual: bool
    user_id: str | None
    state: str
    state_reset: bool
    state_updated_at: str | None
    info: dict[str, Any]
    last_seen_at: str | None
    broker_user: str | None
    broker_secret: str | None = field(repr=False)
    created_at: str
    updated_at: str
    built_in: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def queues(self) -> tuple[str, ...]:
        if self.built_in:
            return (push_queue(self.id),)
        return (push_queue(self.id), listen_queue(self.id))

    @property
    def last_run(self) -> str | None:
        """What the connector reports (``last_run_datetime``), else the ``last_run`` pycti
        connectors keep in their state (an ISO time or epoch seconds)."""
        value = self.info.get("last_run_datetime") or _state_last_run(self.state)
        return str(value) if value else None

    @property
    def next_run(self) -> str | None:
        value = self.info.get("next_run_datetime")
        return str(value) if value else None

    def alive(self, moment: datetime, seconds: float) -> bool:
        if self.built_in:
            return bool(self.extra.get("running"))
        if not self.last_seen_at:
            return False
        seen = datetime.fromisoformat(self.last_seen_at.replace("Z", "+00:00"))
        return (moment - seen).total_seconds() <= seconds


def _state_last_run(state: str | None) -> str | None:
    try:
        value = json.loads(state).get("last_run") if state else None
    except (ValueError, AttributeError):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return str(value) if value else None
