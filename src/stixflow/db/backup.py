"""Backups of the embedded database: SQLite's online backup, consistent while the platform runs.

``backup`` copies the live database into a new file with SQLite's backup API in one step, inside
one read transaction: in WAL mode writers go on meanwhile, and the file is one consistent moment
(every acknowledged message's objects with their work counts, and the queue as it was). A copy
in several steps would restart whenever a writer changed a page, never ending under a busy
import.
``restore`` copies a backup over the configured database, refusing while workers use it. For
PostgreSQL use ``pg_dump`` and ``pg_restore`` (docs/operations.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from stixflow.config import Settings
from stixflow.db import location
from stixflow.db.sqlite import sqlite_path
from stixflow.errors import ConfigError, InvalidInput

Progress = Callable[[int, int], None]  # (pages left, pages in all)
ALL_PAGES = -1


def backup(settings: Settings, target: Path, *, progress: Progress | None = None) -> None:
    """Copy the embedded database into ``target`` (a new file)."""
    source = _embedded(settings)
    location.require_file(settings)
    if target.exists():
        raise InvalidInput(f"{target} exists: give a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(Path(source), target, progress)


def restore(settings: Settings, source: Path, *, force: bool = False) -> None:
    """Copy the backup ``source`` over the configured database (``force``: over an existing
    one). Refused while workers of that database are alive."""
    target = Path(_embedded(settings))
    _check_backup(source)
    if target.exists():
        if not force:
            raise InvalidInput(f"{target} exists: add --force to replace it with {source}")
        _refuse_in_use(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target, None)


def _embedded(settings: Settings) -> str:
    if settings.dialect != "sqlite":
        raise ConfigError(
            "stixflow backup and restore copy the embedded SQLite database; for PostgreSQL use "
            "pg_dump and pg_restore (docs/operations.md, 'Backups')"
        )
    return sqlite_path(settings.database_url)


def _copy(source: Path, target: Path, progress: Progress | None) -> None:
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.backup(
            writer,
            pages=ALL_PAGES,
            progress=(lambda _status, left, total: progress(left, total)) if progress else None,
        )
    except sqlite3.Error as exc:
        raise ConfigError(f"copying {source} to {target} failed: {exc}") from exc
    finally:
        writer.close()
        reader.close()


def _check_backup(source: Path) -> None:
    if not source.is_file():
        raise InvalidInput(f"no backup at {source}")
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            found = conn.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'"
            ).fetchone()[0]
            healthy = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise InvalidInput(f"{source} is not a stixflow backup: {exc}") from exc
    if not found:
        raise InvalidInput(f"{source} is not a stixflow backup (no schema)")
    if not healthy:
        raise InvalidInput(f"{source} is damaged (SQLite's quick_check failed)")


def _refuse_in_use(target: Path) -> None:
    from stixflow.worker.heartbeat import live_workers_of

    if names := live_workers_of(target):
        raise InvalidInput(f"{target} is in use by {names}: stop the platform before restoring")
