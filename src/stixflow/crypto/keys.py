"""Which key seals stored secrets: ``secret_key`` from the settings, else a development key file.

Outside ``development`` an instance without ``STIXFLOW_SECRET_KEY`` refuses to start. In
development a key is generated once and kept, mode 0600, next to the SQLite database
(``<database file>.key``) or, for PostgreSQL, in ``<data dir>/stixflow.key``.
``previous_secret_keys`` still open what older keys sealed, until ``stixflow secrets rotate``
has re-sealed it.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from stixflow.config import Settings
from stixflow.crypto.box import SecretBox
from stixflow.db.sqlite import sqlite_path
from stixflow.errors import ConfigError

log = logging.getLogger("stixflow.crypto")
DEVELOPMENT = "development"
POSTGRES_KEY_FILE = "stixflow.key"


def new_key() -> str:
    """A fresh random key (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def key_file_of(settings: Settings) -> Path:
    """Where a development instance keeps its generated key."""
    if settings.dialect == "sqlite":
        return Path(sqlite_path(settings.database_url) + ".key")
    return settings.data_dir / POSTGRES_KEY_FILE


def box_for(settings: Settings) -> SecretBox:
    """The instance's box; ConfigError when no key is set outside development."""
    previous = [key.get_secret_value() for key in settings.previous_secret_keys]
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key.get_secret_value(), previous)
    if settings.environment != DEVELOPMENT:
        raise ConfigError(
            "set STIXFLOW_SECRET_KEY (at least 32 characters; stixflow secrets new-key makes "
            f"one): stored credentials are encrypted with it outside {DEVELOPMENT}"
        )
    return SecretBox(development_key(key_file_of(settings)), previous)


def development_key(path: Path) -> str:
    """The key kept in ``path``, generated (mode 0600) the first time.

    The key is written to a temporary file first and linked into place, so that a process
    starting at the same moment reads either no file or the whole key, never half of it.
    """
    if not path.exists():
        _create_key_file(path)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise ConfigError(f"the key file {path} is empty")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(new_key() + "\n")
        os.link(draft, path)
    except FileExistsError:
        return  # another process made it first: use theirs
    finally:
        draft.unlink()
    log.warning("generated a development secret key in %s; set STIXFLOW_SECRET_KEY elsewhere", path)
