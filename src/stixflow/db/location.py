"""Where the database is, and who may create it.

Only ``stixflow migrate`` and ``stixflow serve`` create a database (and the data directory of the
embedded one); every other command opens an existing one or stops with an error that names the
database it looked for, so a command run from the wrong folder or with the wrong settings never
starts an empty platform silently.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from stixflow.config import Settings
from stixflow.db.base import Database
from stixflow.db.sqlite import sqlite_path
from stixflow.errors import ConfigError

#: Query parameters of a database URL that hold secrets.
SECRET = ("password", "sslpassword")

HOW_TO_CREATE = (
    "run `stixflow migrate` or `stixflow serve` to create it, or point STIXFLOW_DATABASE_URL "
    "(or STIXFLOW_DATA_DIR) at an existing one"
)


def describe(settings: Settings) -> str:
    """The database for messages: a file path, or the URL without its password."""
    if settings.dialect == "sqlite":
        return str(Path(sqlite_path(settings.database_url)).resolve())
    return without_password(settings.database_url)


def without_password(url: str) -> str:
    """``scheme://user:secret@host/db?password=x`` → ``scheme://user@host/db``: the password
    left out wherever the URL carries it (the user part, or ``password``/``sslpassword`` in
    the query)."""
    parts = urlsplit(url)
    user, at, place = parts.netloc.rpartition("@")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, value) for key, value in pairs if key not in SECRET]
    if ":" not in user and len(query) == len(pairs):
        return url  # nothing to leave out
    netloc = f"{user.split(':', 1)[0]}{at}{place}"
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))


def prepare(settings: Settings) -> None:
    """Make the embedded database's folder (``migrate`` and ``serve`` only)."""
    if settings.dialect == "sqlite":
        Path(sqlite_path(settings.database_url)).parent.mkdir(parents=True, exist_ok=True)


def require_file(settings: Settings) -> None:
    """ConfigError unless the embedded database file exists (checked before opening it, since
    opening creates it)."""
    if settings.dialect == "sqlite" and not Path(sqlite_path(settings.database_url)).is_file():
        raise ConfigError(f"no stixflow database at {describe(settings)}: {HOW_TO_CREATE}")


def require_schema(db: Database, settings: Settings) -> None:
    """ConfigError unless the database holds a stixflow schema."""
    with db.read() as tx:
        if db.dialect == "sqlite":
            found = tx.scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                "AND name = 'schema_migrations'"
            )
        else:
            found = tx.scalar(
                "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'schema_migrations'"
            )
    if not found:
        raise ConfigError(f"{describe(settings)} holds no stixflow database: {HOW_TO_CREATE}")
