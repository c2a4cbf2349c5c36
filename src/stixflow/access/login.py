"""Password login: an email and a password buy a short-lived API token (audited either way).

The password is checked by ``credentials.check_password``: rate limited per account and per
address (429 before any hashing), verified outside every database transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stixflow.access import audit, tokens
from stixflow.access.credentials import check_password
from stixflow.access.schemas import LoginIn, LoginOut
from stixflow.access.service import issue_token, user_out
from stixflow.access.throttle import LoginThrottle
from stixflow.access.tokens import digest
from stixflow.clock import now, stix_timestamp
from stixflow.config import LoginSettings
from stixflow.db.base import Database

LOGIN_TOKEN_HOURS = 12


def login(
    db: Database, credentials: LoginIn, *, address: str | None, limits: LoginSettings
) -> LoginOut:
    """A token valid ``LOGIN_TOKEN_HOURS`` for the user; Unauthenticated (one message for an
    unknown email and a wrong password) or RateLimited otherwise, audited before the refusal.
    A success forgets the account's failures."""
    user = check_password(
        db, credentials.email, credentials.password, address=address, limits=limits
    )
    expires = stix_timestamp(datetime.now(UTC) + timedelta(hours=LOGIN_TOKEN_HOURS))
    with db.transaction() as tx:
        LoginThrottle(limits).reset(tx, credentials.email)
        token = issue_token(tx, user.id, tokens.SESSION, expires_at=expires)
        audit.record(tx, actor_id=user.id, action=audit.LOGIN, target=user.id, address=address)
        return LoginOut(token=token, user=user_out(tx, user))


def logout(db: Database, token: str) -> bool:
    """Revoke a token minted by ``login`` (a pasted API token is left alone); True if revoked."""
    with db.transaction() as tx:
        changed = tx.rowcount(
            "UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND name = ? "
            "AND revoked_at IS NULL",
            (now(), digest(token), tokens.SESSION),
        )
    return changed > 0
