"""SQLite: one connection per thread, WAL, writers serialised by ``BEGIN IMMEDIATE``.

Text holding a NUL character is refused (``DataRefused``) as PostgreSQL refuses it, so that both
back ends store the same things.

A writer waiting for the lock retries every few milliseconds (``_begin_write``) rather than
through SQLite's busy handler, which sleeps up to 100 ms between tries: with several worker
processes and a submitter taking turns, those sleeps left the lock free most of the wait.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from stixflow.db.base import Database, Params, Row, Tx
from stixflow.errors import BackendError, DataRefused, TransientBackendError

BUSY_TIMEOUT_MS = 60_000
#: Page cache per connection, MiB (SQLite's default is 2): a worker's batch writes into every
#: index of ``objects`` and the event log at random keys; at a million objects a 2 MiB cache
#: spills dirty pages to the WAL in the middle of a transaction and reads most pages back.
CACHE_MIB = 64
#: First and longest pause between two attempts at the write lock.
LOCK_RETRY_SECONDS = (0.0005, 0.005)


def sqlite_path(url: str) -> str:
    """``sqlite:///./x.db`` → ``./x.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``."""
    path = url.removeprefix("sqlite://")
    path = path.removeprefix("/") if not path.startswith("//") else path[1:]
    if not path or path == ":memory:":
        raise BackendError("an in-memory SQLite database cannot be shared; give a file path")
    return path


def _is_busy(exc: sqlite3.Error) -> bool:
    message = str(exc)
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message)


def translate(exc: sqlite3.Error) -> BackendError:
    if _is_busy(exc):
        return TransientBackendError(f"sqlite: {exc}")
    if isinstance(exc, sqlite3.DataError | sqlite3.IntegrityError):
        return DataRefused(f"sqlite: {exc}")
    return BackendError(f"sqlite: {exc}")


def _refuse_nul(params: Params) -> None:
    if any(type(value) is str and "\x00" in value for value in params):
        raise DataRefused(f"sqlite: {DataRefused.NUL}")


def _begin_write(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, retried with short pauses for up to ``BUSY_TIMEOUT_MS``.

    The connection's busy timeout is off during the attempts (each fails at once while another
    connection writes) and restored afterwards for every other statement.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause, longest = LOCK_RETRY_SECONDS
    conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, longest)
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


class SQLiteTx(Tx):
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._savepoints = 0

    def execute(self, sql: str, params: Params = ()) -> None:
        _refuse_nul(params)
        self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        for row in rows:
            _refuse_nul(row)
        self._conn.executemany(sql, rows)

    def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        _refuse_nul(params)
        return self._conn.execute(sql, params).fetchall()

    def rowcount(self, sql: str, params: Params = ()) -> int:
        _refuse_nul(params)
        return self._conn.execute(sql, params).rowcount

    def lock_keys(self, keys: Sequence[str]) -> None:
        """``BEGIN IMMEDIATE`` already holds the single writer lock."""

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except sqlite3.Error as exc:
            self._undo(name)
            raise translate(exc) from exc
        except BaseException:
            self._undo(name)
            raise
        self._conn.execute(f"RELEASE {name}")

    def _undo(self, name: str) -> None:
        self._conn.execute(f"ROLLBACK TO {name}")
        self._conn.execute(f"RELEASE {name}")


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA cache_size=-{CACHE_MIB * 1024}")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        conn = self._connection()
        try:
            if write:
                _begin_write(conn)
            else:
                conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise translate(exc) from exc
        try:
            yield SQLiteTx(conn)
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise translate(exc) from exc
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise translate(exc) from exc

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
