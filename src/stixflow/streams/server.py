"""One live-stream connection: ``connected``, an optional snapshot, then the log, forever.

The log (``stixflow.store.events``) is polled every ``poll`` seconds from the last position
served; events are read in commit order, so a client resuming after event ``n`` (its
``Last-Event-ID``) gets every later event once. A heartbeat carrying the last position read,
even when everything since was filtered out, is sent every ``heartbeat`` seconds of silence, so
that clients can checkpoint. Starting from a date first sends the state of the stream as of
that date (every object's version at that point of the log), then the events after it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio.to_thread

from stixflow.clock import stix_timestamp
from stixflow.db.base import Database
from stixflow.errors import InvalidInput
from stixflow.store import events as log
from stixflow.streams.sse import CONNECTED, HEARTBEAT, Message, encode, parse_position
from stixflow.streams.view import StreamView

BATCH = 500
DEFAULT_POLL = 0.1
DEFAULT_HEARTBEAT = 5.0


@dataclass(frozen=True)
class Start:
    """Where a connection starts: after log position ``after``; with ``snapshot_until``, first
    the state as of that position (then ``after`` equals it)."""

    after: int
    snapshot_until: int | None = None


def start_of(db: Database, position: str | None) -> Start:
    """``Last-Event-ID`` / ``from``: a position (``0``: the beginning), a date, or nothing (now)."""
    if position is None or not position.strip():
        return Start(log.last_seq(db))
    seq = parse_position(position)
    if seq is not None:
        return Start(seq)
    try:
        moment = datetime.fromisoformat(position.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"from must be an event id or a date, got {position!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    upto = log.seq_at(db, stix_timestamp(moment))
    return Start(upto, snapshot_until=upto)


async def serve_stream(
    db: Database,
    view: StreamView,
    start: Start,
    *,
    info: dict[str, object],
    poll: float = DEFAULT_POLL,
    heartbeat: float = DEFAULT_HEARTBEAT,
) -> AsyncIterator[bytes]:
    yield encode(Message(CONNECTED, {"connection_id": str(uuid.uuid4()), **info}))
    last = start.after
    if start.snapshot_until is not None:
        async for chunk in _snapshot(view, start.snapshot_until):
            yield chunk
        yield _beat(last)
    beat = time.monotonic()
    while True:
        events = await anyio.to_thread.run_sync(_read, db, last)
        if events:
            messages = await anyio.to_thread.run_sync(view.translate, events)
            last = events[-1].seq
            for message in messages:
                yield encode(message)
            if messages:
                beat = time.monotonic()
            if len(events) == BATCH:
                continue
        if time.monotonic() - beat >= heartbeat:
            yield _beat(last)
            beat = time.monotonic()
        await anyio.sleep(poll)


async def _snapshot(view: StreamView, upto: int) -> AsyncIterator[bytes]:
    position = 0
    while position < upto:
        messages, position = await anyio.to_thread.run_sync(view.snapshot_page, position, upto)
        for message in messages:
            yield encode(message)


def _read(db: Database, after: int) -> list[log.Event]:
    return log.read_after(db, after, limit=BATCH)


def _beat(position: int) -> bytes:
    return encode(Message(HEARTBEAT, {"at": stix_timestamp(datetime.now(UTC))}, position))
