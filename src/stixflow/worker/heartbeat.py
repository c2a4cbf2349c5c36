"""Worker heartbeats: each worker process says it is alive every ``INTERVAL`` seconds.

One row per (host, pid) in ``worker_heartbeats``, removed when the worker stops cleanly. A
worker is *up* while its row was seen within ``UP_WITHIN`` seconds (metrics, the in-use check
of ``stixflow restore`` and ``stixflow db copy-to``). Rows of workers that died stay, showing
when they were last seen, until ``FORGET_AFTER``.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stixflow.clock import now, stix_timestamp
from stixflow.db.base import Database, open_database
from stixflow.errors import BackendError

INTERVAL = 10.0
UP_WITHIN = 3 * INTERVAL
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Heartbeat:
    host: str
    pid: int
    name: str
    started_at: str
    seen_at: str
    handled: int

    def up(self, at: datetime) -> bool:
        return (at - _parse(self.seen_at)).total_seconds() <= UP_WITHIN


class HeartbeatWriter:
    """What one worker process writes; ``beat`` is cheap to call often (it writes every
    ``INTERVAL`` seconds at most)."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = now()
        self._last = 0.0

    def beat(self, handled: int, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last < INTERVAL:
            return
        self._last = time.monotonic()
        stamp = now()
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO worker_heartbeats (host, pid, name, started_at, seen_at, handled) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (host, pid) DO UPDATE SET "
                "name = excluded.name, seen_at = excluded.seen_at, handled = excluded.handled",
                (self.host, self.pid, self.name, self.started_at, stamp, handled),
            )
            tx.execute(
                "DELETE FROM worker_heartbeats WHERE seen_at < ?",
                (stix_timestamp(datetime.now(UTC) - FORGET_AFTER),),
            )

    def stop(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM worker_heartbeats WHERE host = ? AND pid = ?", (self.host, self.pid)
            )


def heartbeats(db: Database) -> list[Heartbeat]:
    with db.read() as tx:
        rows = tx.fetchall(
            "SELECT host, pid, name, started_at, seen_at, handled FROM worker_heartbeats "
            "ORDER BY host, pid"
        )
    return [Heartbeat(*row) for row in rows]


def workers_up(db: Database) -> list[Heartbeat]:
    at = datetime.now(UTC)
    return [beat for beat in heartbeats(db) if beat.up(at)]


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def live_workers_of(sqlite_file: Path) -> str:
    """``name (pid N on host), …``: the workers alive on the embedded database at
    ``sqlite_file``; empty when there are none (or the database keeps no heartbeats)."""
    db = open_database(f"sqlite:///{sqlite_file.resolve()}")
    try:
        alive = workers_up(db)
    except BackendError:  # a database without heartbeats: no worker of ours uses it
        alive = []
    finally:
        db.close()
    return ", ".join(f"{beat.name} (pid {beat.pid} on {beat.host})" for beat in alive)
