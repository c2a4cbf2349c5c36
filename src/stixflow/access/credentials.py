"""Checking a password: rate limited (``throttle``), audited, and hashed outside every transaction.

argon2 costs tens of milliseconds on purpose. On SQLite a transaction that writes holds the one
write lock, so a flood of wrong passwords checked inside a transaction stalled every other request
(finding 10): the user is read in a short read transaction, the password verified with no
transaction open, and the outcome written in a second short transaction.
"""

from __future__ import annotations

from functools import cache

from stixflow.access import audit, users
from stixflow.access.passwords import hash_password, verify_password
from stixflow.access.throttle import LoginThrottle
from stixflow.config import LoginSettings
from stixflow.db.base import Database, Tx
from stixflow.errors import NotFound, RateLimited, Unauthenticated


def check_password(
    db: Database,
    email: str,
    password: str,
    *,
    address: str | None,
    limits: LoginSettings,
    purpose: str = "",
) -> users.User:
    """The user whose password this is, or Unauthenticated (one message for an unknown email,
    a user without a password and a wrong password); RateLimited past a limit, before hashing.
    Every refusal is audited as ``login.failed`` (``purpose`` goes to its detail)."""
    throttle = LoginThrottle(limits)
    try:
        with db.read() as tx:
            throttle.check(tx, email, address)
            user = _find(tx, email)
    except RateLimited as refused:
        _audit_failure(db, email, address, detail=f"{purpose} {refused}".strip())
        raise
    stored = user.password_hash if user else None
    matched = verify_password(stored or _decoy_hash(), password)  # same time when no user
    if user is None or stored is None or not matched:
        with db.transaction() as tx:
            throttle.record_failure(tx, email, address)
            audit.record(
                tx,
                actor_id=None,
                action=audit.LOGIN_FAILED,
                target=email,
                detail=purpose,
                address=address,
            )
        raise Unauthenticated("wrong email or password")
    return user


def _find(tx: Tx, email: str) -> users.User | None:
    try:
        return users.find_user(tx, email)
    except NotFound:
        return None


def _audit_failure(db: Database, email: str, address: str | None, *, detail: str) -> None:
    with db.transaction() as tx:
        audit.record(
            tx,
            actor_id=None,
            action=audit.LOGIN_FAILED,
            target=email,
            detail=detail,
            address=address,
        )


@cache
def _decoy_hash() -> str:
    return hash_password("decoy password: never matches a caller's")
