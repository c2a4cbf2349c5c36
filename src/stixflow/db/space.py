"""What takes the space in a database: bytes per table, its indexes beside it (``stixflow db
stats``). SQLite counts pages (the ``dbstat`` table); PostgreSQL asks ``pg_table_size`` and
``pg_indexes_size``. The FTS5 search index's shadow tables are counted as one, ``objects_fts``."""

from __future__ import annotations

from dataclasses import dataclass

from stixflow.db.base import Database, Tx

FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


@dataclass(frozen=True)
class TableSpace:
    name: str
    rows: int
    table_bytes: int
    index_bytes: int

    @property
    def total(self) -> int:
        return self.table_bytes + self.index_bytes


@dataclass(frozen=True)
class Space:
    """``tables`` biggest first; ``file_bytes``: the whole database (free pages included)."""

    tables: list[TableSpace]
    file_bytes: int


def space(db: Database) -> Space:
    with db.read() as tx:
        if db.dialect == "postgresql":
            return _postgres(tx)
        return _sqlite(tx)


def _sqlite(tx: Tx) -> Space:
    owner = {name: table for name, table in tx.fetchall("SELECT name, tbl_name FROM sqlite_master")}
    kinds = dict(tx.fetchall("SELECT name, type FROM sqlite_master"))
    tables: dict[str, list[int]] = {}
    for name, size in tx.fetchall("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
        table = _fts_owner(owner.get(name, name))
        sizes = tables.setdefault(table, [0, 0])
        sizes[1 if kinds.get(name) == "index" or name.startswith("sqlite_autoindex") else 0] += int(
            size
        )
    found = [
        TableSpace(name, _rows(tx, name, kinds), data, index)
        for name, (data, index) in tables.items()
    ]
    page_size = int(tx.scalar("PRAGMA page_size"))
    pages = int(tx.scalar("PRAGMA page_count"))
    return Space(sorted(found, key=lambda t: -t.total), page_size * pages)


def _fts_owner(name: str) -> str:
    for suffix in FTS_SHADOWS:
        if name.endswith(suffix) and name.startswith("objects_fts"):
            return name[: -len(suffix)]
    return name


def _rows(tx: Tx, name: str, kinds: dict[str, str]) -> int:
    if kinds.get(name) != "table" or name.startswith("sqlite_"):
        return 0
    return int(tx.scalar(f'SELECT COUNT(*) FROM "{name}"'))


def _postgres(tx: Tx) -> Space:
    found = [
        TableSpace(name, max(0, int(rows)), int(data), int(index))
        for name, rows, data, index in tx.fetchall(
            "SELECT c.relname, c.reltuples, pg_table_size(c.oid), pg_indexes_size(c.oid) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )
    ]
    total = int(tx.scalar("SELECT pg_database_size(current_database())"))
    return Space(sorted(found, key=lambda t: -t.total), total)
