"""One acting ingestion manager per database, however many ``stixflow serve`` processes share it.

PostgreSQL: a session advisory lock held on a connection of its own; it goes when the process
(or its connection) dies. SQLite: a lease row renewed at every manager run; another process takes
it over once it has expired. Either way the holder keeps it from one run to the next, so the runs
it started cannot overlap with another process's.
"""

from __future__ import annotations

import abc
import logging
import os
import socket
import time
import uuid

import psycopg

from stixflow.db.base import Database
from stixflow.errors import TransientBackendError

log = logging.getLogger("stixflow.ingest.lock")

ADVISORY_KEY = 0x5717F11
LEASE_NAME = "ingestion_manager"


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ManagerLock(abc.ABC):
    @abc.abstractmethod
    def acquire(self) -> bool:
        """True while this process is the acting manager (takes or renews the lock)."""

    @abc.abstractmethod
    def release(self) -> None: ...


class AdvisoryLock(ManagerLock):
    """``pg_try_advisory_lock`` on a dedicated autocommit connection."""

    def __init__(self, url: str, *, key: int = ADVISORY_KEY) -> None:
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.key = key
        self._conn: psycopg.Connection | None = None
        self._held = False

    def acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
                self._held = False
            if self._held:
                self._conn.execute("SELECT 1")
                return True
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self._held = bool(row and row[0])
            return self._held
        except psycopg.Error as exc:
            self._drop()
            raise TransientBackendError(f"postgresql: ingestion manager lock: {exc}") from exc

    def release(self) -> None:
        if self._conn is not None and not self._conn.closed and self._held:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except psycopg.Error as exc:
                log.warning("releasing the ingestion manager lock: %s", exc)
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._held = None, False


class LeaseLock(ManagerLock):
    """A row in ``ingestion_leases`` that expires ``ttl`` seconds after its last renewal."""

    def __init__(self, db: Database, *, ttl: float, holder: str | None = None) -> None:
        self.db = db
        self.ttl = ttl
        self.holder = holder or holder_name()

    def acquire(self) -> bool:
        moment = time.time()
        with self.db.transaction() as tx:
            row = tx.fetchone(
                "SELECT holder, expires_at FROM ingestion_leases WHERE name = ?", (LEASE_NAME,)
            )
            if row is not None and row[0] != self.holder and float(row[1]) > moment:
                return False
            tx.execute(
                "INSERT INTO ingestion_leases (name, holder, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at",
                (LEASE_NAME, self.holder, moment + self.ttl),
            )
        return True

    def release(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM ingestion_leases WHERE name = ? AND holder = ?",
                (LEASE_NAME, self.holder),
            )


def lock_for(db: Database, *, interval: float) -> ManagerLock:
    """The lock that fits the database: advisory on PostgreSQL, a lease on SQLite."""
    if db.dialect == "postgresql":
        return AdvisoryLock(db.url)
    return LeaseLock(db, ttl=max(30.0, 3 * interval))
