"""Users: one per person and one per source (``[F] name``) or connector (``[C] name``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from stixflow.clock import now
from stixflow.db.base import Tx
from stixflow.errors import Conflict, NotFound

USER_COLUMNS = "id, email, name, organization_id, created_at, password_hash"


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    organization_id: str | None
    created_at: str
    password_hash: str | None


def insert_user(
    tx: Tx,
    *,
    email: str,
    name: str,
    password_hash: str | None,
    organization_id: str | None,
) -> User:
    email = email.strip().lower()
    if tx.fetchone("SELECT 1 FROM users WHERE lower(email) = ?", (email,)) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(str(uuid.uuid4()), email, name, organization_id, now(), password_hash)
    tx.execute(
        "INSERT INTO users (id, email, name, password_hash, is_admin, created_at, "
        "organization_id) VALUES (?, ?, ?, ?, 0, ?, ?)",
        (user.id, user.email, user.name, password_hash, user.created_at, organization_id),
    )
    return user


def find_user(tx: Tx, ref: str) -> User:
    """A user by id or email (case-insensitive)."""
    row = tx.fetchone(
        f"SELECT {USER_COLUMNS} FROM users WHERE id = ? OR lower(email) = ?",
        (ref, ref.strip().lower()),
    )
    if row is None:
        raise NotFound(f"no user {ref}")
    return User(*row)


def list_users(tx: Tx) -> list[User]:
    return [User(*row) for row in tx.fetchall(f"SELECT {USER_COLUMNS} FROM users ORDER BY email")]


def update_user(
    tx: Tx,
    user: User,
    *,
    name: str | None = None,
    password_hash: str | None = None,
    organization_id: str | None = None,
) -> User:
    """Change what is given (None keeps the current value)."""
    tx.execute(
        "UPDATE users SET name = ?, password_hash = ?, organization_id = ? WHERE id = ?",
        (
            name or user.name,
            password_hash or user.password_hash,
            organization_id or user.organization_id,
            user.id,
        ),
    )
    return find_user(tx, user.id)


def delete_user(tx: Tx, user: User) -> None:
    """Delete a user, their tokens and memberships (what they created keeps their id)."""
    tx.execute("DELETE FROM group_members WHERE user_id = ?", (user.id,))
    tx.execute(
        "DELETE FROM token_addresses WHERE token_id IN "
        "(SELECT id FROM api_tokens WHERE user_id = ?)",
        (user.id,),
    )
    tx.execute("DELETE FROM api_tokens WHERE user_id = ?", (user.id,))
    tx.execute("DELETE FROM users WHERE id = ?", (user.id,))
