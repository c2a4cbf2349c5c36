"""The narrow database interface every SQL back end implements.

SQL is written once with ``?`` placeholders; each dialect translates what it must. A ``Tx`` is
one transaction: it commits when the ``with`` block ends and rolls back on an exception.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

Row = tuple[Any, ...]
Params = Sequence[Any]


class Tx(abc.ABC):
    """One open transaction."""

    dialect: str

    @abc.abstractmethod
    def execute(self, sql: str, params: Params = ()) -> None: ...

    @abc.abstractmethod
    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...

    @abc.abstractmethod
    def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self.fetchone(sql, params)
        return None if row is None else row[0]

    @abc.abstractmethod
    def rowcount(self, sql: str, params: Params = ()) -> int:
        """Execute a statement and return the number of rows it touched."""

    @abc.abstractmethod
    def lock_keys(self, keys: Sequence[str]) -> None:
        """Serialise writers on these keys until the transaction ends (sorted, no deadlock)."""

    @abc.abstractmethod
    def savepoint(self) -> AbstractContextManager[None]:
        """A nested part of the transaction: undone alone when its block raises (the driver's
        error translated to ``BackendError``), the rest of the transaction going on."""


class Database(abc.ABC):
    """A connection factory for one database URL."""

    dialect: str
    url: str

    @abc.abstractmethod
    def transaction(self, *, write: bool = True) -> AbstractContextManager[Tx]: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def in_clause(self, count: int) -> str:
        return "(" + ",".join("?" * count) + ")"

    def read(self) -> AbstractContextManager[Tx]:
        return self.transaction(write=False)

    def ids_in_byte_order(self) -> bool:
        """True when text compares as bytes (ids ``type--uuid``, ASCII): ``<type>--`` to
        ``<type>-.`` is then exactly the ids of a type, a range of the primary key."""
        return True


def open_database(url: str) -> Database:
    """Open the database a URL names (``sqlite:///path`` or ``postgresql://...``)."""
    if url.startswith("sqlite://"):
        from stixflow.db.sqlite import SQLiteDatabase

        return SQLiteDatabase(url)
    from stixflow.db.postgres import PostgresDatabase

    return PostgresDatabase(url)


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
