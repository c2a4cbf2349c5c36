"""The durable event log: every create, update and delete, in commit order, for live streams.

Each write transaction appends its events at its very end while holding one log-wide lock, so
the sequence numbers readers see grow in commit order: a reader resuming after ``seq`` never
misses an event that committed later with a smaller number. Payloads are the object's version at
that moment; updates also carry a top-level JSON Patch (RFC 6902) from the previous version.

Storage (issue 18): payloads and patches are packed like ``objects.data`` (``store.compact``),
whole. The latest create or update of an object that is still there has an empty payload
(``IN_ROW``): the version it wrote is the object's row, which every reader joins (``FROM``,
``PAYLOAD``). Before that row changes or goes, ``keep_history`` gives the event its version back,
in the same transaction, so a reader never finds an empty payload whose row holds a later
version. Events written before (plain zlib payloads, JSON text patches) read as they did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from stixflow.db.base import Database, Tx
from stixflow.store import compact, rows
from stixflow.store.base import Provenance, StixObject

CREATE, UPDATE, DELETE = "create", "update", "delete"
LOG_LOCK = "stixflow:stream-events"
IN_ROW = b""
#: The log ``e``, each ``IN_ROW`` event with its object's row ``o``.
FROM = "stream_events e LEFT JOIN objects o ON length(e.data) = 0 AND o.id = e.object_id"
#: The payload of an event of ``FROM``: its own, or its object's row (``payload_of``).
PAYLOAD = f"e.data, {rows.body_columns('o')}"
PAYLOAD_WIDTH = 1 + rows.BODY_WIDTH
COLUMNS = (
    f"e.seq, e.kind, e.object_id, e.object_type, {PAYLOAD}, e.patch, e.source, e.user_id, "
    "e.created_at"
)


@dataclass
class Event:
    seq: int
    kind: str
    object_id: str
    object_type: str
    data: StixObject
    patch: list[dict[str, Any]] | None
    source: str | None
    user_id: str | None
    created_at: str


@dataclass
class PendingEvent:
    """``payload``: ``data`` already packed (``pack``), when the caller has it."""

    kind: str
    data: StixObject
    patch: list[dict[str, Any]] | None = None
    payload: bytes | None = None


def top_level_patch(old: StixObject, new: StixObject) -> list[dict[str, Any]]:
    """RFC 6902 operations turning ``old`` into ``new``, property by property."""
    ops: list[dict[str, Any]] = []
    for key in old.keys() - new.keys():
        ops.append({"op": "remove", "path": f"/{_escape(key)}"})
    for key, value in new.items():
        if key not in old:
            ops.append({"op": "add", "path": f"/{_escape(key)}", "value": value})
        elif old[key] != value:
            ops.append({"op": "replace", "path": f"/{_escape(key)}", "value": value})
    return sorted(ops, key=lambda op: op["path"])


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def append(tx: Tx, events: Sequence[PendingEvent], provenance: Provenance) -> None:
    """Add events at the end of the log (call last in the transaction: it holds the log lock)."""
    if not events:
        return
    tx.lock_keys([LOG_LOCK])
    tx.executemany(
        "INSERT INTO stream_events (kind, object_id, object_type, data, patch, source, user_id, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                event.kind,
                event.data["id"],
                event.data["type"],
                event.payload if event.payload is not None else compact.dump(event.data),
                compact.pack(orjson.dumps(event.patch)) if event.patch is not None else None,
                provenance.source,
                provenance.user_id,
                provenance.seen_at,
            )
            for event in events
        ],
    )


def keep_history(tx: Tx, versions: Sequence[tuple[str, bytes]]) -> None:
    """Before the rows of ``(object id, stored version packed whole)`` change or go: each
    object's ``IN_ROW`` event, if any, gets that version as its own payload."""
    tx.executemany(
        "UPDATE stream_events SET data = ? WHERE object_id = ? AND length(data) = 0",
        [(payload, object_id) for object_id, payload in versions],
    )


def read_after(db: Database, after: int, *, limit: int = 500) -> list[Event]:
    """Events with ``seq > after``, oldest first."""
    with db.read() as tx:
        found = tx.fetchall(
            f"SELECT {COLUMNS} FROM {FROM} WHERE e.seq > ? ORDER BY e.seq LIMIT ?",
            (after, limit),
        )
    return [event_of(row) for row in found]


def last_seq(db: Database) -> int:
    with db.read() as tx:
        return int(tx.scalar("SELECT COALESCE(MAX(seq), 0) FROM stream_events"))


def seq_at(db: Database, moment: str) -> int:
    """The last event recorded at or before ``moment`` (0 when none)."""
    with db.read() as tx:
        value = tx.scalar(
            "SELECT COALESCE(MAX(seq), 0) FROM stream_events WHERE created_at <= ?", (moment,)
        )
    return int(value)


def payload_of(values: Sequence[Any]) -> StixObject:
    """The object an event's ``PAYLOAD`` values hold."""
    own, *row = values
    return compact.load(own) if len(own) else rows.load(row)


def event_of(row: Sequence[Any]) -> Event:
    """An ``Event`` from a row of ``COLUMNS``."""
    seq, kind, object_id, object_type = row[:4]
    patch, source, user_id, created_at = row[4 + PAYLOAD_WIDTH :]
    return Event(
        seq=int(seq),
        kind=kind,
        object_id=object_id,
        object_type=object_type,
        data=payload_of(row[4 : 4 + PAYLOAD_WIDTH]),
        patch=orjson.loads(compact.unpack(patch)) if patch is not None else None,
        source=source,
        user_id=user_id,
        created_at=created_at,
    )
