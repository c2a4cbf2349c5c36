"""Event-log retention: history older than ``events.retention_days`` is compacted away.

Pruning up to a moment keeps, for every object, its latest event at or before that moment (so
the state of the knowledge base at any later moment can still be rebuilt from the log: stream
snapshots, TAXII collections) and every event after it; it removes the versions that a later
one replaced before the moment, and deleted objects' events. The last event at or before the
moment is recorded as the horizon (``event_log_horizon``).

A reader resuming inside the removed history (after an event before the horizon, or from a date
before it) is refused with ``HistoryGone``, never served a log with holes. Starting from ``0``
still works: a new reader gets every object as it stood at the horizon, then every later event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stixflow.clock import stix_timestamp
from stixflow.db.base import Database, Tx
from stixflow.errors import HistoryGone

BATCH = 2000
REMOVABLE = (
    "SELECT e.seq FROM stream_events e WHERE e.seq <= ? AND (e.kind = 'delete' OR EXISTS ("
    "SELECT 1 FROM stream_events l WHERE l.object_id = e.object_id AND l.seq > e.seq "
    "AND l.seq <= ?)) ORDER BY e.seq LIMIT ?"
)


@dataclass(frozen=True)
class Horizon:
    """Events up to ``seq`` (recorded at or before ``created_at``) may have been removed."""

    seq: int
    created_at: str

    def check_position(self, after: int, asked: str) -> None:
        """Refuse a reader resuming after event ``after`` when events it needs were removed
        (``0``, a new reader, is served the compacted history)."""
        if 0 < after < self.seq:
            raise HistoryGone(asked, kept_after=self.seq, kept_since=self.created_at)

    def check_moment(self, moment: str, asked: str) -> None:
        """Refuse a reader starting from a moment (a STIX timestamp) inside removed history."""
        if moment < self.created_at:
            raise HistoryGone(asked, kept_after=self.seq, kept_since=self.created_at)


def horizon(db: Database) -> Horizon | None:
    with db.read() as tx:
        return _horizon(tx)


def _horizon(tx: Tx) -> Horizon | None:
    row = tx.fetchone("SELECT seq, created_at FROM event_log_horizon WHERE id = 1")
    return Horizon(int(row[0]), row[1]) if row is not None else None


def cutoff(retention_days: float, *, at: datetime | None = None) -> str:
    return stix_timestamp((at or datetime.now(UTC)) - timedelta(days=retention_days))


def prune(db: Database, before: str, *, batch: int = BATCH) -> int:
    """Compact the log up to ``before`` (a STIX timestamp); return the events removed."""
    with db.read() as tx:
        upto = int(
            tx.scalar(
                "SELECT COALESCE(MAX(seq), 0) FROM stream_events WHERE created_at <= ?", (before,)
            )
        )
    if upto == 0:
        return 0
    removed = 0
    while True:
        with db.transaction() as tx:
            seqs = [int(seq) for (seq,) in tx.fetchall(REMOVABLE, (upto, upto, batch))]
            if seqs:
                tx.execute(
                    "DELETE FROM stream_events WHERE seq IN " + db.in_clause(len(seqs)), seqs
                )
                _raise_horizon(tx, upto, before)
        removed += len(seqs)
        if len(seqs) < batch:
            return removed


def _raise_horizon(tx: Tx, seq: int, created_at: str) -> None:
    current = _horizon(tx)
    if current is not None and current.seq >= seq:
        return
    tx.execute(
        "INSERT INTO event_log_horizon (id, seq, created_at) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, created_at = excluded.created_at",
        (seq, created_at),
    )
