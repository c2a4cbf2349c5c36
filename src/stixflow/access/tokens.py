"""API tokens: random, shown once, stored only as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from stixflow.clock import now
from stixflow.db.base import Database, Tx

TOKEN_PREFIX = "sfx_"


@dataclass
class TokenOwner:
    user_id: str
    email: str
    is_admin: bool
    token_id: str


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def store_token(tx: Tx, *, user_id: str, token: str, name: str) -> str:
    token_id = str(uuid.uuid4())
    tx.execute(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?,?,?,?,?)",
        (token_id, user_id, name, digest(token), now()),
    )
    return token_id


def authenticate(db: Database, token: str) -> TokenOwner | None:
    """The owner of a live token, or None; records the token's last use."""
    with db.transaction() as tx:
        row = tx.fetchone(
            "SELECT t.id, u.id, u.email, u.is_admin FROM api_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            (digest(token),),
        )
        if row is None:
            return None
        tx.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (now(), row[0]))
    return TokenOwner(user_id=row[1], email=row[2], is_admin=bool(row[3]), token_id=row[0])
