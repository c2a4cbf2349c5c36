"""PostgreSQL: a psycopg connection pool; writers on the same keys serialised by advisory locks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from stixflow.db.base import Database, Params, Row, Tx
from stixflow.errors import BackendError, TransientBackendError

TRANSIENT = (
    pg_errors.DeadlockDetected,
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    psycopg.OperationalError,
)


def to_pg(sql: str) -> str:
    return sql.replace("?", "%s")


def translate(exc: psycopg.Error) -> BackendError:
    if isinstance(exc, TRANSIENT):
        return TransientBackendError(f"postgresql: {exc}")
    return BackendError(f"postgresql: {exc}")


class PostgresTx(Tx):
    dialect = "postgresql"

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> None:
        self._conn.execute(to_pg(sql), params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany(to_pg(sql), rows)

    def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return self._conn.execute(to_pg(sql), params).fetchall()

    def rowcount(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(to_pg(sql), params).rowcount

    def lock_keys(self, keys: Sequence[str]) -> None:
        if keys:
            self._conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
                "FROM (SELECT DISTINCT unnest(%s::text[]) AS k ORDER BY 1) AS s",
                (sorted(set(keys)),),
            )


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

    def in_clause(self, count: int) -> str:
        return "(" + ",".join("?" * count) + ")"

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        try:
            with self._pool.connection() as conn, conn.transaction():
                yield PostgresTx(conn)
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def close(self) -> None:
        self._pool.close()
