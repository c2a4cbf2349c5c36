"""What takes the space in a database: bytes per table, its indexes beside it (``stixflow db
stats``). SQLite counts pages (the ``dbstat`` table); PostgreSQL asks ``pg_table_size`` and
``pg_indexes_size``. The FTS5 search index's shadow tables are counted as one, ``objects_fts``.

``bodies``: how the objects' bodies are kept (``store.compact``): packed, or JSON text written
before migration 0017, and how many events keep their payload in their object's row."""

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


@dataclass(frozen=True)
class Bodies:
    packed: int
    text: int  # JSON text, written before migration 0017
    body_bytes: int
    events: int
    events_in_row: int  # their payload is the object's row (``store.events.IN_ROW``)


def bodies(db: Database) -> Bodies:
    text = (  # starts with "{": JSON (SQLite: TEXT, PostgreSQL: its bytes since 0017)
        "substr(CAST(data AS BLOB), 1, 1) = X'7B'"
        if db.dialect == "sqlite"
        else "get_byte(data, 0) = 123"
    )
    size = "length(CAST(data AS BLOB))" if db.dialect == "sqlite" else "octet_length(data)"
    with db.read() as tx:
        count, legacy, body_bytes = tx.fetchone(
            f"SELECT COUNT(*), SUM(CASE WHEN {text} THEN 1 ELSE 0 END), SUM({size}) FROM objects"
        )
        events, in_row = tx.fetchone(
            "SELECT COUNT(*), SUM(CASE WHEN length(data) = 0 THEN 1 ELSE 0 END) FROM stream_events"
        )
    legacy = int(legacy or 0)
    return Bodies(
        packed=int(count) - legacy,
        text=legacy,
        body_bytes=int(body_bytes or 0),
        events=int(events),
        events_in_row=int(in_row or 0),
    )


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
