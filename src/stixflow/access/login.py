"""Password login: an email and a password buy a short-lived API token (audited either way)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from stixflow.access import audit, users
from stixflow.access.passwords import hash_password, verify_password
from stixflow.access.schemas import LoginIn, LoginOut
from stixflow.access.service import issue_token, user_out
from stixflow.access.tokens import digest
from stixflow.clock import now, stix_timestamp
from stixflow.db.base import Database, Tx
from stixflow.errors import NotFound, Unauthenticated

LOGIN_TOKEN_HOURS = 12


def login(db: Database, credentials: LoginIn, *, address: str | None) -> LoginOut:
    """A token valid ``LOGIN_TOKEN_HOURS`` for the user, or Unauthenticated (one message for an
    unknown email and a wrong password). A failed attempt is audited before the refusal."""
    expires = stix_timestamp(datetime.now(UTC) + timedelta(hours=LOGIN_TOKEN_HOURS))
    result: LoginOut | None = None
    with db.transaction() as tx:
        user = _checked_user(tx, credentials)
        if user is None:
            audit.record(
                tx,
                actor_id=None,
                action=audit.LOGIN_FAILED,
                target=credentials.email,
                address=address,
            )
        else:
            token = issue_token(tx, user.id, "login", expires_at=expires)
            audit.record(tx, actor_id=user.id, action=audit.LOGIN, target=user.id, address=address)
            result = LoginOut(token=token, user=user_out(tx, user))
    if result is None:
        raise Unauthenticated("wrong email or password")
    return result


def _checked_user(tx: Tx, credentials: LoginIn) -> users.User | None:
    try:
        user = users.find_user(tx, credentials.email)
    except NotFound:
        verify_password(_decoy_hash(), credentials.password)  # same time as a wrong password
        return None
    return user if verify_password(user.password_hash, credentials.password) else None


@cache
def _decoy_hash() -> str:
    return hash_password("decoy password: never matches a caller's")


def logout(db: Database, token: str) -> bool:
    """Revoke a token minted by ``login`` (a pasted API token is left alone); True if revoked."""
    with db.transaction() as tx:
        changed = tx.rowcount(
            "UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND name = 'login' "
            "AND revoked_at IS NULL",
            (now(), digest(token)),
        )
    return changed > 0
