"""Move the embedded database to PostgreSQL: every row of every table, as it is.

Both dialects' migrations keep the same tables and columns, so a row copies column by column
(text bodies written before migration 0017 become their UTF-8 bytes, which PostgreSQL's
``bytea`` columns read as they are). What only SQLite has is left behind: its search index
(``objects_fts*``; PostgreSQL's trigram indexes build from the rows) and its sequence table;
so is what a running platform keeps about its own processes (heartbeats, leases).

Refused before anything is written: a source whose workers are alive or whose queue still
holds messages, a target that cannot be reached, that holds tables not stixflow's, or a
stixflow database holding any row its migrations did not write. Then the target is migrated
(committed on its own) and the copy runs as one PostgreSQL transaction, tables in foreign-key
order: all the rows land, or none. Every serial id (events, audit log, dead letters…)
continues after the greatest id the source ever handed out, so a stream reader's
``Last-Event-ID`` stays meaningful, and the tables are analysed. The source is read in one
SQLite read transaction (a consistent snapshot).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import psycopg

from stixflow.access.groups import ADMINISTRATORS_ID, CONNECTORS_ID
from stixflow.db.base import open_database
from stixflow.db.location import without_password
from stixflow.db.migrations import available, migrate
from stixflow.errors import BackendError, ConfigError, StixflowError
from stixflow.worker.heartbeat import live_workers_of

#: Seconds to wait for the target to answer.
CONNECT_TIMEOUT = 10
#: Rows read from SQLite at a time.
CHUNK = 2_000
#: The target's own record of its schema (the versions differ between dialects).
TARGET_OWN = ("schema_migrations",)
#: What a running platform keeps about its own processes: not carried to another database.
PROCESS_STATE = ("worker_heartbeats", "ingestion_leases")
#: The rows migrations write (every other row says the database is in use).
SEEDED = {"groups": (ADMINISTRATORS_ID, CONNECTORS_ID)}
#: The tables the summary names.
SUMMARY = ("users", "objects", "stream_events", "works", "connectors", "ingesters")

#: ``progress(rows copied, rows to copy)``
Progress = Callable[[int, int], None]


class TransferRefused(StixflowError):
    """The copy cannot start: the source or the target is not what it needs."""


@dataclass
class Copied:
    """Rows copied per table."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_to_postgres(
    sqlite_file: str, target_url: str, *, progress: Progress | None = None
) -> Copied:
    """Copy the SQLite database at ``sqlite_file`` into the PostgreSQL database ``target_url``."""
    if not target_url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("the target must be a postgresql:// URL")
    _refuse_running(sqlite_file)
    with closing(_read_only(sqlite_file)) as source:
        source.execute("BEGIN")  # one snapshot for every table
        _check_source(source)
        ours = _source_tables(source)
        _reach(target_url, ours)
        _migrate(target_url)
        try:
            with psycopg.connect(target_url) as target:
                return _copy(source, target, ours, progress or (lambda *_: None))
        except psycopg.Error as exc:
            raise BackendError(f"postgresql: {_first_line(exc)}") from exc


def _refuse_running(sqlite_file: str) -> None:
    """Refuse while workers of the source are alive (what they write later would be lost)."""
    if names := live_workers_of(Path(sqlite_file)):
        raise TransferRefused(
            f"the embedded database is in use by {names}: stop the platform before copying"
        )


def _reach(target_url: str, ours: set[str]) -> None:
    """One connection first, for a clear error (the pool behind migrations retries for 30 s);
    a database holding tables that are not stixflow's is refused before anything is written
    (the copy empties the tables it fills)."""
    try:
        with psycopg.connect(target_url, connect_timeout=CONNECT_TIMEOUT) as target:
            present = set(_tables_here(target))
            others = sorted(present - ours)
            if not others:
                _refuse_used(target, present)
    except psycopg.Error as exc:
        raise TransferRefused(
            f"cannot connect to {without_password(target_url)}: {_first_line(exc)}"
        ) from exc
    if others:
        shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
        raise TransferRefused(
            f"the target database holds tables that are not stixflow's ({shown}): copy into a "
            "new, empty database"
        )


def _migrate(target_url: str) -> None:
    target = open_database(target_url)
    try:
        migrate(target)
    finally:
        target.close()


def _read_only(path: str) -> sqlite3.Connection:
    try:
        uri = Path(path).resolve().as_uri() + "?mode=ro"  # '#' and '?' in the path escaped
        return sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise TransferRefused(f"cannot open the embedded database {path}: {exc}") from exc


def _check_source(source: sqlite3.Connection) -> None:
    try:
        applied = {row[0] for row in source.execute("SELECT version FROM schema_migrations")}
        queued = source.execute("SELECT count(*) FROM queue_messages").fetchone()[0]
    except sqlite3.Error as exc:
        raise TransferRefused(f"the source is not a stixflow database: {exc}") from exc
    missing = [name for version, name, _ in available("sqlite") if version not in applied]
    if missing:
        raise TransferRefused(
            f"the source lacks migrations {', '.join(missing)}: run `stixflow migrate` first"
        )
    if queued:
        raise TransferRefused(
            f"{queued} messages are still queued in the embedded queue (with RabbitMQ they would "
            "never be consumed): let the workers finish them (`stixflow serve` or `stixflow "
            "worker`; `stixflow works list` shows what is left), then copy"
        )


def _copy(
    source: sqlite3.Connection, target: psycopg.Connection, ours: set[str], progress: Progress
) -> Copied:
    skipped = (*TARGET_OWN, *PROCESS_STATE)
    tables = [t for t in _tables_in_order(target) if t in ours and t not in skipped]
    if not tables:
        raise BackendError("the migrations created no tables where the copy looks for them")
    _refuse_used(target, set(tables))
    target.execute("TRUNCATE " + ", ".join(_quoted(t) for t in tables))
    counts = {t: source.execute(f"SELECT count(*) FROM {_quoted(t)}").fetchone()[0] for t in tables}
    total, done = sum(counts.values()), Copied()
    progress(0, total)
    for table in tables:
        report = partial(_report, progress, done.total, total)
        done.rows[table] = _copy_table(source, target, table, report)
    _continue_sequences(source, target)
    target.execute("ANALYZE")  # the planner's statistics, before autovacuum would gather them
    return done


def _report(progress: Progress, before: int, total: int, copied: int) -> None:
    progress(before + copied, total)


def _source_tables(source: sqlite3.Connection) -> set[str]:
    """stixflow's tables: the source's, but SQLite's own and its search index's."""
    found = source.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in found if not name.startswith(("sqlite_", "objects_fts"))}


def _tables_here(target: psycopg.Connection) -> list[str]:
    """The tables of the schema the connection creates tables in (``public`` by default)."""
    found = target.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    ).fetchall()
    return [name for (name,) in found]


def _tables_in_order(target: psycopg.Connection) -> list[str]:
    """The target's tables, each after the tables its foreign keys point to."""
    names = _tables_here(target)
    parents: dict[str, set[str]] = {name: set() for name in names}
    for child, parent in target.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f'"
    ):
        if child in parents and parent != child:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(name for name, needs in parents.items() if not needs - set(ordered))
        if not ready:
            raise BackendError(f"foreign keys in a cycle among {sorted(parents)}")
        ordered += ready
        for name in ready:
            del parents[name]
    return ordered


def _refuse_used(target: psycopg.Connection, tables: set[str]) -> None:
    """Refuse a stixflow database holding any row migrations did not write."""
    used = {table: n for table in sorted(tables - set(TARGET_OWN)) if (n := _rows(target, table))}
    if used:
        held = ", ".join(f"{count} rows in {table}" for table, count in list(used.items())[:5])
        raise TransferRefused(
            f"the target database is in use ({held}): copy into a new, empty database"
        )


def _rows(target: psycopg.Connection, table: str) -> int:
    """The rows of ``table`` that migrations did not write."""
    sql, params = f"SELECT count(*) FROM {_quoted(table)}", ()
    if table in SEEDED:
        sql += " WHERE id <> ALL(%s)"
        params = (list(SEEDED[table]),)
    found = target.execute(sql, params).fetchone()
    return int(found[0]) if found else 0


def _copy_table(
    source: sqlite3.Connection,
    target: psycopg.Connection,
    table: str,
    progress: Callable[[int], None],
) -> int:
    """Copy ``table``; ``progress`` is told how many of its rows are copied so far."""
    columns, binary = _target_columns(target, table)
    names = ", ".join(_quoted(c) for c in columns)
    copied = 0
    with target.cursor().copy(f"COPY {_quoted(table)} ({names}) FROM STDIN") as copy:
        for chunk in _chunks(source.execute(f"SELECT {names} FROM {_quoted(table)}")):
            for row in chunk:
                copy.write_row(_as_target(row, binary))
            copied += len(chunk)
            progress(copied)
    return copied


def _target_columns(target: psycopg.Connection, table: str) -> tuple[list[str], set[int]]:
    """The table's columns in order, and the positions of its ``bytea`` ones."""
    found = target.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [name for name, _ in found], {i for i, (_, kind) in enumerate(found) if kind == "bytea"}


def _chunks(cursor: sqlite3.Cursor) -> Iterator[list[tuple[object, ...]]]:
    while chunk := cursor.fetchmany(CHUNK):
        yield chunk


def _as_target(row: tuple[object, ...], binary: set[int]) -> tuple[object, ...]:
    if not binary:
        return row
    return tuple(
        value.encode() if i in binary and isinstance(value, str) else value
        for i, value in enumerate(row)
    )


def _continue_sequences(source: sqlite3.Connection, target: psycopg.Connection) -> None:
    """Set each serial column's sequence past the greatest id used: in the copied rows or, for
    SQLite's ``AUTOINCREMENT`` tables, ever handed out (deleted rows' ids are not reused)."""
    handed_out = dict(source.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    serials = target.execute(
        "SELECT c.relname, a.attname, pg_get_serial_sequence(quote_ident(c.relname), a.attname) "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 "
        "AND NOT a.attisdropped "
        "AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL"
    ).fetchall()
    for table, column, sequence in serials:
        if table in TARGET_OWN:
            continue
        last = max(_greatest(target, table, column), int(handed_out.get(table) or 0))
        target.execute("SELECT setval(%s, %s, %s)", (sequence, max(last, 1), last > 0))


def _greatest(target: psycopg.Connection, table: str, column: str) -> int:
    found = target.execute(f"SELECT max({_quoted(column)}) FROM {_quoted(table)}").fetchone()
    return int(found[0] or 0) if found else 0


def _first_line(exc: Exception) -> str:
    """An error's first line: the reason, without the rows a failed statement quotes."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
