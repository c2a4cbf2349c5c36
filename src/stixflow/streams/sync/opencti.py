"""OpenCTI's live-stream protocol as a synchroniser speaks it, to an OpenCTI platform or to a
stixflow (whose streams answer in OpenCTI's shape by default).

Request (what OpenCTI's own synchroniser sends): ``GET <uri>/stream/<id>`` with
``listen-delete``, ``no-dependencies`` and a start: the last event id read (``Last-Event-ID``
and ``from``: every event after it, once), or, on the first connection, ``from`` the starting
date as OpenCTI's ``<ms>-0`` position (``0-0``: the beginning) with ``recover=<now>``: the
changes up to now compacted (one event per object, its current version), then live events.

Events: ``create``, ``update``, ``merge``, ``delete`` whose ``data`` is OpenCTI's envelope
``{"version": "4", "type", "scope", "message", "origin", "data": <STIX>, "context"}``; a merge's
``context.sources`` are the objects merged into ``data`` (deleted here, as on the remote);
``heartbeat`` carries a date (its id is the remote's position); ``connected`` opens the stream.

OpenCTI's property extension (``extension-definition--ea279b3e-…``) is kept for what it says
about the object (``score``, ``labels``…) and stripped of the remote platform's bookkeeping
(its internal id, entity type, creator, timestamps), which means nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stixflow.errors import SourceError
from stixflow.net.answers import parse_json
from stixflow.stix.octi import OCTI_EXTENSION
from stixflow.streams.sse import CREATE, DELETE, HEARTBEAT, MERGE, UPDATE

EVENT_VERSION = "4"
EVENTS = frozenset({CREATE, UPDATE, MERGE, DELETE})
#: Keys of OpenCTI's extension that describe the remote platform's record, not the object.
BOOKKEEPING = frozenset(
    {
        "id",
        "type",
        "created_at",
        "updated_at",
        "is_inferred",
        "source_ref",
        "target_ref",
        "source_type",
        "target_type",
        "source_value",
        "target_value",
        "creator_ids",
        "assignee_ids",
        "participant_ids",
        "workflow_id",
        "files",
        "granted_refs",
    }
)


def start_params(
    *,
    position: str | None,
    starting_date: str | None,
    listen_deletion: bool,
    no_dependencies: bool,
    moment: datetime | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """The query parameters and headers of a connection (see the module docstring)."""
    params = {
        "listen-delete": str(listen_deletion).lower(),
        "no-dependencies": str(no_dependencies).lower(),
    }
    headers: dict[str, str] = {}
    if position:
        params["from"] = position
        headers["Last-Event-ID"] = position
        return params, headers
    params["from"] = date_position(starting_date) if starting_date else "0-0"
    moment = moment or datetime.now(UTC)
    params["recover"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return params, headers


def date_position(date: str) -> str:
    """OpenCTI's position at a moment: ``<milliseconds since the epoch>-0``."""
    moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
    return f"{int(moment.timestamp() * 1000)}-0"


@dataclass
class Event:
    """One stream event, decoded: what to write, what to delete, the position it carries."""

    kind: str
    id: str | None
    data: dict[str, Any] | None = None
    merged: list[str] = field(default_factory=list)


def decode(kind: str, data: str, event_id: str | None, *, source: str) -> Event | None:
    """The event of one SSE message; None for messages a synchroniser ignores."""
    if kind == HEARTBEAT:
        return Event(HEARTBEAT, event_id)
    if kind not in EVENTS:
        return None
    body = parse_json(data, source=source)
    if not isinstance(body, dict):
        raise SourceError(f"{source}: a {kind} event whose data is not an object")
    version = str(body.get("version", EVENT_VERSION))
    if version != EVENT_VERSION:
        raise SourceError(f"{source}: event version {version} (this reads version 4)")
    obj = body.get("data")
    if not isinstance(obj, dict) or "id" not in obj:
        raise SourceError(f"{source}: a {kind} event without a STIX object")
    merged: list[str] = []
    if kind == MERGE:
        sources = (body.get("context") or {}).get("sources") or []
        merged = [s["id"] for s in sources if isinstance(s, dict) and s.get("id")]
    return Event(kind, event_id, strip_platform(obj), merged)


def strip_platform(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without the remote platform's bookkeeping in OpenCTI's extension (dropped
    altogether when nothing else is left in it)."""
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict) or OCTI_EXTENSION not in extensions:
        return obj
    own = extensions[OCTI_EXTENSION]
    kept = {k: v for k, v in own.items() if k not in BOOKKEEPING} if isinstance(own, dict) else {}
    rest = {k: v for k, v in extensions.items() if k != OCTI_EXTENSION}
    if set(kept) - {"extension_type"}:
        rest[OCTI_EXTENSION] = kept
    out = {k: v for k, v in obj.items() if k != "extensions"}
    return {**out, "extensions": rest} if rest else out
