"""PostgreSQL: a psycopg connection pool; writers on the same keys serialised by advisory locks.

``executemany`` of an ``INSERT … VALUES (?, …)`` sends multi-row statements (``VALUES (…), (…)``,
up to ``MAX_BATCH_ROWS`` rows, PostgreSQL's own ``$n`` placeholders) instead of the one statement
per row of psycopg's ``executemany``. The rows are applied in order, as one by one would be: a
batch ends before a row whose ``ON CONFLICT … DO UPDATE`` key is already in it (PostgreSQL
refuses to update a row twice in one command), so a later row still updates an earlier one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from stixflow.db.base import Database, Params, Row, Tx
from stixflow.errors import BackendError, DataRefused, TransientBackendError

#: SQLSTATE classes 22 (data exception), 23 (integrity) and 54 (program limit exceeded: an index
#: row too large), and psycopg's own refusal of NUL characters in text (a DataError).
DATA_REFUSED = (psycopg.DataError, psycopg.IntegrityError, pg_errors.ProgramLimitExceeded)
TRANSIENT = (
    pg_errors.DeadlockDetected,
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    psycopg.OperationalError,
)


MAX_BATCH_ROWS = 1000
#: keys a transaction locks one by one before it locks the whole store instead (lock_keys): a
#: worker's full batch (``worker.batch_objects``, 2,000) with room for what it moves and relinks,
#: so that workers writing large batches still run side by side. Two such transactions fit the
#: default server's table (64 x 100 slots); docs/operations.md says when to raise it
ONE_BY_ONE = 2_560
#: the whole store's advisory lock: shared by transactions locking keys one by one
WHOLE_STORE_LOCK = 0x5354_4958_464C_4F57  # "STIXFLOW"
MAX_PARAMS = 65_535  # the protocol's limit on parameters per statement

_INSERT_RE = re.compile(
    r"^\s*INSERT INTO (?P<table>\w+) \((?P<columns>[\w\s,]+)\) "
    r"VALUES (?P<row>\((?:\s*\?\s*,)*\s*\?\s*\))(?P<rest>.*)$",
    re.DOTALL | re.IGNORECASE,
)
_DO_UPDATE_RE = re.compile(r"^\s*ON CONFLICT \((?P<keys>[\w\s,]+)\) DO UPDATE ", re.IGNORECASE)


@dataclass(frozen=True)
class _MultiRow:
    """How to send one ``INSERT … VALUES (?, …)`` for many rows at once."""

    head: str
    row: str
    rest: str
    batch_rows: int
    #: Positions in a row of the ``ON CONFLICT … DO UPDATE`` key (None: no such clause).
    key: tuple[int, ...] | None

    def batches(self, rows: Sequence[Params]) -> Iterator[Sequence[Params]]:
        if self.key is None:
            for start in range(0, len(rows), self.batch_rows):
                yield rows[start : start + self.batch_rows]
            return
        start, seen = 0, set()
        for index, row in enumerate(rows):
            key = tuple(row[position] for position in self.key)
            if key in seen or index - start >= self.batch_rows:
                yield rows[start:index]
                start, seen = index, set()
            seen.add(key)
        yield rows[start:]

    def statement(self, count: int) -> str:
        return _statement(self, count)


@functools.lru_cache(maxsize=1024)
def _statement(plan: _MultiRow, count: int) -> str:
    """PostgreSQL's own ``$n`` placeholders: psycopg would re-parse a long ``%s`` query each
    time (it caches only short ones)."""
    width = plan.row.count("?")
    rows = (
        "(" + ", ".join(f"${index * width + column}" for column in range(1, width + 1)) + ")"
        for index in range(count)
    )
    return f"{plan.head}{', '.join(rows)}{plan.rest}"


@functools.lru_cache(maxsize=256)
def _multi_row(sql: str) -> _MultiRow | None:
    """The multi-row form of ``sql``, or None when it is not a plain ``INSERT … VALUES (?…)``."""
    match = _INSERT_RE.match(sql)
    if match is None:
        return None
    columns = [name.strip() for name in match["columns"].split(",")]
    if match["row"].count("?") != len(columns) or "?" in match["rest"]:
        return None
    key: tuple[int, ...] | None = None
    conflict = _DO_UPDATE_RE.match(match["rest"])
    if conflict is not None:
        names = [name.strip() for name in conflict["keys"].split(",")]
        if not set(names) <= set(columns):
            return None
        key = tuple(columns.index(name) for name in names)
    elif "DO UPDATE" in match["rest"].upper():
        return None
    return _MultiRow(
        head=sql[: match.start("row")],
        row=match["row"],
        rest=match["rest"],
        batch_rows=max(1, min(MAX_BATCH_ROWS, MAX_PARAMS // len(columns))),
        key=key,
    )


#: True when the default collation compares ASCII text as bytes (migration 0023 asks the same).
BYTE_ORDER = "SELECT 'x-.' > 'x--f' AND 'x-z' < 'xa' AND 'Z' < 'a'"


def to_pg(sql: str) -> str:
    return sql.replace("?", "%s")


def translate(exc: psycopg.Error) -> BackendError:
    if isinstance(exc, psycopg.DataError) and "NUL (0x00)" in str(exc):
        return DataRefused(f"postgresql: {DataRefused.NUL}")
    if isinstance(exc, DATA_REFUSED):  # before TRANSIENT: class 54 is an OperationalError
        return DataRefused(f"postgresql: {exc}")
    if isinstance(exc, TRANSIENT):
        return TransientBackendError(f"postgresql: {exc}")
    return BackendError(f"postgresql: {exc}")


class PostgresTx(Tx):
    dialect = "postgresql"

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn
        self._locks = KeyLocks()

    def execute(self, sql: str, params: Params = ()) -> None:
        self._conn.execute(to_pg(sql), params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if not rows:
            return
        plan = _multi_row(sql) if len(rows) > 1 else None
        if plan is None:
            with self._conn.cursor() as cur:
                cur.executemany(to_pg(sql), rows)
            return
        with psycopg.RawCursor(self._conn) as cur:
            for batch in plan.batches(rows):
                cur.execute(plan.statement(len(batch)), [value for row in batch for value in row])

    def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return self._conn.execute(to_pg(sql), params).fetchall()

    def rowcount(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(to_pg(sql), params).rowcount

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        held = self._locks.copy()  # locks taken inside an undone savepoint are released
        try:
            with self._conn.transaction():
                yield
        except BaseException as exc:
            self._locks = held
            if isinstance(exc, psycopg.Error):
                raise translate(exc) from exc
            raise

    def lock_keys(self, keys: Sequence[str]) -> None:
        """One advisory lock per key while the transaction holds few, all under a shared lock
        of the whole store; past ``ONE_BY_ONE`` keys, the whole store's lock alone, exclusive.
        PostgreSQL keeps every advisory lock in one shared table of ``max_locks_per_transaction``
        x connections slots (6,400 by default): a transaction relinking thousands of objects, or
        several workers writing large batches at once, would exhaust it ("out of shared
        memory"). A transaction holds at most ``ONE_BY_ONE`` + 1 of them; a worker whose batch fails
        for want of slots anyway retries it message by message."""
        wanted = sorted(set(keys))
        if not wanted or self._locks.whole:
            return
        if self._locks.one_by_one + len(wanted) > ONE_BY_ONE:
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (WHOLE_STORE_LOCK,))
            self._locks.whole = True
            return
        if not self._locks.shared:
            self._conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (WHOLE_STORE_LOCK,))
            self._locks.shared = True
        self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS s (k, n) ORDER BY n",
            (wanted,),
        )
        self._locks.one_by_one += len(wanted)


@dataclass
class KeyLocks:
    """What a transaction's ``lock_keys`` holds so far."""

    one_by_one: int = 0
    shared: bool = False
    whole: bool = False

    def copy(self) -> KeyLocks:
        return KeyLocks(self.one_by_one, self.shared, self.whole)


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str, *, max_size: int = 10) -> None:
        self.url = url.replace("postgres://", "postgresql://", 1)
        self._pool = ConnectionPool(
            self.url,
            min_size=1,
            max_size=max_size,
            open=True,
            timeout=30,
            kwargs={"autocommit": False},
        )
        self._byte_order: bool | None = None

    def in_clause(self, count: int) -> str:
        return "(" + ",".join("?" * count) + ")"

    def ids_in_byte_order(self) -> bool:
        """Whether the database's collation orders ids as bytes (``C``, ``POSIX``, ``C.UTF-8``),
        asked once: a linguistic collation ignores the dashes (``x-z`` after ``xa``)."""
        if self._byte_order is None:
            with self.read() as tx:
                self._byte_order = bool(tx.scalar(BYTE_ORDER))
        return self._byte_order

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        try:
            with self._pool.connection() as conn, conn.transaction():
                yield PostgresTx(conn)
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def close(self) -> None:
        self._pool.close()
