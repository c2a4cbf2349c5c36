"""Packing what a database written before migration 0017 still holds in the old forms
(``stixflow db repack``): object bodies as JSON text, event payloads as plain zlib streams (most
stored, not deflated), patches as JSON text. A body is packed as written now, without what its
row's columns hold (``rows.stored_body``). They read as they are (``store.compact``); packing
them only saves room, which later writes reuse (SQLite's file shrinks only with ``VACUUM``).

Runs beside the workers: a batch at a time, each row replaced only if it still holds the value
read (a row a worker rewrote meanwhile is already packed), so no write lock is held for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stixflow.db.base import Database
from stixflow.store import compact, rows

BATCH = 500


@dataclass
class Repacked:
    objects: int = 0
    events: int = 0


def repack(db: Database, *, progress: Callable[[Repacked], None] | None = None) -> Repacked:
    """Pack every object body, event payload and patch still in an old form."""
    done = Repacked()
    after = ""
    while True:
        with db.read() as tx:
            found = tx.fetchall(
                f"SELECT {rows.body_columns('o')} FROM objects o WHERE o.id > ? "
                "ORDER BY o.id LIMIT ?",
                (after, BATCH),
            )
        old = [body for body in found if not compact.packed(body[0])]
        if old:
            with db.transaction() as tx:
                for body in old:
                    done.objects += tx.rowcount(
                        "UPDATE objects SET data = ? WHERE id = ? AND data = ?",
                        (rows.stored_body(rows.load(body)), body[rows.ID_AT], body[0]),
                    )
        if len(found) < BATCH:
            break
        after = found[-1][rows.ID_AT]
        _report(progress, done)
    seq = 0
    while True:
        with db.read() as tx:
            found = tx.fetchall(
                "SELECT seq, data, patch FROM stream_events WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, BATCH),
            )
        old = [row for row in found if not _event_packed(row[1], row[2])]
        if old:
            with db.transaction() as tx:
                for event_seq, data, patch in old:
                    done.events += tx.rowcount(
                        "UPDATE stream_events SET data = ?, patch = ? WHERE seq = ? AND data = ?",
                        (_repacked(data), _repacked(patch), event_seq, data),
                    )
        if len(found) < BATCH:
            break
        seq = int(found[-1][0])
        _report(progress, done)
    _report(progress, done)
    return done


def _event_packed(data: Any, patch: Any) -> bool:
    payload_packed = len(data) == 0 or compact.packed(data)  # empty: its object's row
    return payload_packed and (patch is None or compact.packed(patch))


def _repacked(value: Any) -> Any:
    if value is None or len(value) == 0:
        return value
    return compact.repack(value)


def _report(progress: Callable[[Repacked], None] | None, done: Repacked) -> None:
    if progress is not None:
        progress(done)
