"""API tokens: random, shown once, stored only as a SHA-256 digest, revocable, with last use.

A token carries 256 random bits, so a fast unsalted digest is enough to make the stored form
useless to a reader of the database while keeping the lookup an index hit. The first use of a
token from an address goes to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from stixflow.access import audit
from stixflow.clock import now
from stixflow.db.base import Database, Tx
from stixflow.errors import NotFound

TOKEN_PREFIX = "sfx_"
TOKEN_COLUMNS = "id, user_id, name, created_at, last_used_at, revoked_at, expires_at"


@dataclass
class TokenOwner:
    user_id: str
    email: str
    is_admin: bool
    token_id: str


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never the token itself."""

    id: str
    user_id: str
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    expires_at: str | None


#: The name of the tokens password login mints (sessions, as opposed to API tokens).
SESSION = "login"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def store_token(
    tx: Tx, *, user_id: str, token: str, name: str, expires_at: str | None = None
) -> str:
    token_id = str(uuid.uuid4())
    tx.execute(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) "
        "VALUES (?,?,?,?,?,?)",
        (token_id, user_id, name, digest(token), now(), expires_at),
    )
    return token_id


def get_token(tx: Tx, token_id: str) -> TokenInfo:
    row = tx.fetchone(f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?", (token_id,))
    if row is None:
        raise NotFound(f"no token {token_id}")
    return TokenInfo(*row)


def list_tokens(tx: Tx, user_id: str) -> list[TokenInfo]:
    found = tx.fetchall(
        f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY created_at, id",
        (user_id,),
    )
    return [TokenInfo(*row) for row in found]


def revoke_token(tx: Tx, token_id: str) -> TokenInfo:
    """Revoke a token (revoking twice keeps the first revocation time)."""
    get_token(tx, token_id)
    tx.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (now(), token_id),
    )
    return get_token(tx, token_id)


def revoke_sessions(tx: Tx, user_id: str) -> int:
    """End the user's password sessions (tokens minted by login; API tokens stay); how many."""
    return tx.rowcount(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND name = ? "
        "AND revoked_at IS NULL",
        (now(), user_id, SESSION),
    )


def authenticate(db: Database, token: str, *, address: str | None = None) -> TokenOwner | None:
    """The owner of a live token, or None; records the token's last use and new addresses."""
    stamp = now()
    with db.transaction() as tx:
        row = tx.fetchone(
            "SELECT t.id, u.id, u.email, u.is_admin FROM api_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL "
            "AND (t.expires_at IS NULL OR t.expires_at > ?)",
            (digest(token), stamp),
        )
        if row is None:
            return None
        token_id, user_id = row[0], row[1]
        tx.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (stamp, token_id))
        if address and _first_use_from(tx, token_id, address, stamp):
            audit.record(
                tx,
                actor_id=user_id,
                action=audit.TOKEN_NEW_ADDRESS,
                target=token_id,
                address=address,
            )
    return TokenOwner(user_id=user_id, email=row[2], is_admin=bool(row[3]), token_id=token_id)


def _first_use_from(tx: Tx, token_id: str, address: str, stamp: str) -> bool:
    return (
        tx.rowcount(
            "INSERT INTO token_addresses (token_id, address, first_seen) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (token_id, address[:100], stamp),
        )
        > 0
    )
