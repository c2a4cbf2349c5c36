"""One live-stream connection: ``connected``, an optional snapshot, then the log, forever.

The log (``stixflow.store.events``) is polled every ``poll`` seconds from the last position
served; events are read in commit order, so a client resuming after event ``n`` (its
``Last-Event-ID``) gets every later event once. A heartbeat carrying the last position read,
even when everything since was filtered out, is sent every ``heartbeat`` seconds of silence, so
that clients can checkpoint. Starting from a date first sends the state of the stream as of
that date (every object's version at that point of the log), then the events after it.

OpenCTI's ``recover=<date>`` (what pycti's ``listen_stream`` and OpenCTI's synchroniser send):
when that date lies after the start, the log from the start to that date is first sent
compacted (each object's latest event there, in log order, with its id), then the events after
it; a date given as the start is then a position, as OpenCTI reads it, not a snapshot.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import anyio.to_thread

from stixflow.clock import stix_timestamp
from stixflow.db.base import Database
from stixflow.errors import InvalidInput
from stixflow.store import events as log
from stixflow.store import retention
from stixflow.streams.envelope import Flavour
from stixflow.streams.sse import CONNECTED, HEARTBEAT, Message, encode, parse_position
from stixflow.streams.view import StreamView

BATCH = 500
DEFAULT_POLL = 0.1
DEFAULT_HEARTBEAT = 5.0


@dataclass(frozen=True)
class Start:
    """Where a connection starts: after log position ``after``; with ``snapshot_until``, first
    the state as of that position (then ``after`` equals it); with ``recover_until``, first the
    log from ``after`` to that position, compacted."""

    after: int
    snapshot_until: int | None = None
    recover_until: int | None = None


def start_of(db: Database, position: str | None, *, recover: str | None = None) -> Start:
    """``Last-Event-ID`` / ``from``: a position (``0``: the beginning), a date, or nothing (now);
    ``recover``: OpenCTI's recovery date. With ``recover`` a date in ``from`` is a position (the
    log at that time, as OpenCTI reads it: what its synchroniser sends when it resumes from its
    saved date); without, it asks for the stream's state as of that date first. A start inside
    history removed by the event-log retention raises ``HistoryGone``."""
    opencti = recover is not None and bool(recover.strip())
    kept = retention.horizon(db)
    start = _start(db, position, kept)
    if opencti and start.snapshot_until is not None:
        start = Start(start.after)
    if not opencti or recover is None:
        return start
    until = log.seq_at(db, stix_timestamp(_date(recover, "recover")))
    return Start(start.after, recover_until=until) if until > start.after else start


def _start(db: Database, position: str | None, kept: retention.Horizon | None) -> Start:
    if position is None or not position.strip():
        return Start(log.last_seq(db))
    asked = f"the stream position {position.strip()!r}"
    head, _, tail = position.strip().partition("-")
    if head.isdigit() and tail == "0" and int(head) > 0:  # OpenCTI's ``<ms>-0``: a moment
        moment = stix_timestamp(datetime.fromtimestamp(int(head) / 1000, tz=UTC))
        if kept is not None:
            kept.check_moment(moment, asked)
        return Start(log.seq_at(db, moment))
    seq = parse_position(position)
    if seq is not None:
        if kept is not None:
            kept.check_position(seq, asked)
        return Start(seq)
    moment = stix_timestamp(_date(position, "from"))
    if kept is not None:
        kept.check_moment(moment, asked)
    upto = log.seq_at(db, moment)
    return Start(upto, snapshot_until=upto)


def _date(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{what} must be an event id or a date, got {text!r}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def serve_stream(
    db: Database,
    view: StreamView,
    start: Start,
    *,
    info: dict[str, object],
    poll: float = DEFAULT_POLL,
    heartbeat: float = DEFAULT_HEARTBEAT,
) -> AsyncIterator[bytes]:
    connection = str(uuid.uuid4())  # ``connectionId`` is the name OpenCTI's clients read
    yield encode(
        Message(CONNECTED, {"connection_id": connection, "connectionId": connection, **info})
    )
    last = start.after
    if start.snapshot_until is not None:
        async for chunk in _snapshot(view, 0, start.snapshot_until):
            yield chunk
        yield _beat(last, view.flavour)
    if start.recover_until is not None:
        async for chunk in _snapshot(view, last, start.recover_until, recovery=True):
            yield chunk
        last = start.recover_until
        yield _beat(last, view.flavour)
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
            yield _beat(last, view.flavour)
            beat = time.monotonic()
        await anyio.sleep(poll)


async def _snapshot(
    view: StreamView, after: int, upto: int, *, recovery: bool = False
) -> AsyncIterator[bytes]:
    position = after
    while position < upto:
        page = partial(view.snapshot_page, position, upto, recovery=recovery)
        messages, position = await anyio.to_thread.run_sync(page)
        for message in messages:
            yield encode(message)


def _read(db: Database, after: int) -> list[log.Event]:
    return log.read_after(db, after, limit=BATCH)


def _beat(position: int, flavour: Flavour) -> bytes:
    """A heartbeat with the last position read: OpenCTI's carries the date alone."""
    at = stix_timestamp(datetime.now(UTC))
    return encode(Message(HEARTBEAT, at if flavour == Flavour.OPENCTI else {"at": at}, position))
