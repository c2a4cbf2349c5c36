"""Schema migrations: numbered SQL files per dialect, applied once each, in order."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

from stixflow.db.base import Database, Tx

PG_MIGRATION_LOCK = 0x5717F10


def available(dialect: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration file of a dialect, in order."""
    folder = resources.files("stixflow.db") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(db: Database, *, until: int | None = None) -> list[str]:
    """Apply every pending migration (up to version ``until``, included, when given); return
    the names applied. Safe to run concurrently."""
    applied_now: list[str] = []
    with db.transaction() as tx:
        if db.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(?)", (PG_MIGRATION_LOCK,))
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in tx.fetchall("SELECT version FROM schema_migrations")}
        for version, name, sql in available(db.dialect):
            if version in done or (until is not None and version > until):
                continue
            _run_script(tx, sql)
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, datetime.now(UTC).isoformat()),
            )
            applied_now.append(name)
    return applied_now


def _run_script(tx: Tx, sql: str) -> None:
    for statement in _statements(sql):
        tx.execute(statement)


def _statements(sql: str) -> list[str]:
    """A script split on ``;``; a ``CREATE TRIGGER … BEGIN … END`` and a ``$$``-quoted body
    (PostgreSQL's ``DO $$ … $$``) stay whole."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    statements: list[str] = []
    pending = ""
    for part in "\n".join(lines).split(";"):
        pending = f"{pending};{part}" if pending else part
        if _inside_trigger(pending) or pending.count("$$") % 2:
            continue
        if pending.strip():
            statements.append(pending.strip())
        pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def _inside_trigger(statement: str) -> bool:
    words = statement.split()
    head = [word.upper() for word in words[:2]]
    return head == ["CREATE", "TRIGGER"] and words[-1].upper() != "END"
