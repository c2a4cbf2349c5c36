"""The audit log: logins, token use from a new address, and changes to users, groups,
ingesters and connector state. Written in the transaction of the change it records."""

from __future__ import annotations

from dataclasses import dataclass

from stixflow.clock import now
from stixflow.db.base import Database, Tx

LOGIN = "login"
LOGIN_FAILED = "login.failed"
TOKEN_NEW_ADDRESS = "token.new_address"
MAX_DETAIL = 1000


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user (None for the local CLI), from where, and whether an admin."""

    user_id: str | None
    address: str | None
    is_admin: bool


LOCAL_ACTOR = Actor(user_id=None, address="local-cli", is_admin=True)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor_id: str | None
    action: str
    target: str | None
    detail: str
    address: str | None


def record(
    tx: Tx,
    *,
    actor_id: str | None,
    action: str,
    target: str | None = None,
    detail: str = "",
    address: str | None = None,
) -> None:
    tx.execute(
        "INSERT INTO audit_log (at, actor_id, action, target, detail, address) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (now(), actor_id, action, target, detail[:MAX_DETAIL], address),
    )


def record_by(
    tx: Tx, actor: Actor, action: str, *, target: str | None = None, detail: str = ""
) -> None:
    """``record`` a change made by ``actor`` (its user and address)."""
    record(
        tx,
        actor_id=actor.user_id,
        action=action,
        target=target,
        detail=detail,
        address=actor.address,
    )


def entries(
    db: Database, *, action: str | None = None, actor_id: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Newest first; ``action`` matches exactly or as a prefix (``user`` → ``user.created``)."""
    clauses, params = ["1=1"], []
    if action:
        clauses.append("(action = ? OR action LIKE ?)")
        params.extend([action, f"{action}.%"])
    if actor_id:
        clauses.append("actor_id = ?")
        params.append(actor_id)
    with db.read() as tx:
        found = tx.fetchall(
            "SELECT id, at, actor_id, action, target, detail, address FROM audit_log "
            f"WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
    return [AuditEntry(int(row[0]), *row[1:]) for row in found]
