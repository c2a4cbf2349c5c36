"""First start: the first admin (in Administrators), with a token from the settings or a new
one, and the built-in marking definitions in the store. Safe to run at every start."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from stixflow.access import groups
from stixflow.access.markings import ensure_builtin_markings
from stixflow.access.passwords import hash_password
from stixflow.access.tokens import digest, new_token, store_token
from stixflow.clock import now
from stixflow.config import Settings
from stixflow.db.base import Database
from stixflow.store.sql import SQLStore


@dataclass
class AdminBootstrap:
    user_id: str
    email: str
    created: bool
    token: str | None  # set when a token was generated now (print it once) or configured


def ensure_admin(db: Database, settings: Settings) -> AdminBootstrap:
    """Create the first admin if missing; make sure the configured admin token works."""
    ensure_builtin_markings(db, SQLStore(db))
    configured = settings.admin_token.get_secret_value() if settings.admin_token else None
    password_hash = _first_password_hash(db, settings)  # hashed before the write lock is taken
    with db.transaction() as tx:
        row = tx.fetchone("SELECT id FROM users WHERE email = ?", (settings.admin_email,))
        created = row is None
        user_id = str(uuid.uuid4()) if row is None else row[0]
        if created:
            tx.execute(
                "INSERT INTO users (id, email, name, password_hash, is_admin, created_at) "
                "VALUES (?, ?, ?, ?, 1, ?)",
                (
                    user_id,
                    settings.admin_email,
                    "admin",
                    password_hash,
                    now(),
                ),
            )
            groups.add_member(tx, groups.ADMINISTRATORS_ID, user_id)
        token = configured
        if configured is not None:
            known = tx.fetchone(
                "SELECT 1 FROM api_tokens WHERE token_hash = ?", (digest(configured),)
            )
            if known is None:
                store_token(tx, user_id=user_id, token=configured, name="from settings")
        elif created:
            token = new_token()
            store_token(tx, user_id=user_id, token=token, name="first start")
    return AdminBootstrap(user_id=user_id, email=settings.admin_email, created=created, token=token)


def _first_password_hash(db: Database, settings: Settings) -> str | None:
    """The hash of ``admin_password`` when the first admin is still to be created."""
    if settings.admin_password is None:
        return None
    with db.read() as tx:
        row = tx.fetchone("SELECT 1 FROM users WHERE email = ?", (settings.admin_email,))
    return None if row is not None else hash_password(settings.admin_password.get_secret_value())
