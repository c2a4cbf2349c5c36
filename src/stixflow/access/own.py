"""One's own account: tokens and password, for any authenticated user (no capability needed).

A token minted for oneself hands out nothing one does not hold. Changing one's password needs the
current one when a password is set (a borrowed session must not take the account over); that is a
password check like login's: rate limited, audited, hashed outside every transaction.
"""

from __future__ import annotations

from stixflow.access import audit, tokens, users
from stixflow.access.audit import Actor
from stixflow.access.credentials import check_password
from stixflow.access.passwords import hash_password
from stixflow.access.schemas import PasswordChange, TokenCreate, TokenCreated, TokenOut
from stixflow.access.service import issue_token
from stixflow.access.throttle import LoginThrottle
from stixflow.config import LoginSettings
from stixflow.db.base import Database
from stixflow.errors import InvalidInput, NotFound, Unauthenticated


class OwnAccount:
    """The caller's own tokens and password."""

    def __init__(self, db: Database, *, actor: Actor) -> None:
        if actor.user_id is None:
            raise InvalidInput("the local command line acts as no user")
        self.db = db
        self.actor = actor
        self.user_id: str = actor.user_id

    def list_tokens(self) -> list[TokenOut]:
        with self.db.read() as tx:
            return [TokenOut(**info.__dict__) for info in tokens.list_tokens(tx, self.user_id)]

    def create_token(self, spec: TokenCreate) -> TokenCreated:
        with self.db.transaction() as tx:
            created = issue_token(tx, self.user_id, spec.name)
            audit.record_by(tx, self.actor, "token.created", target=created.id)
        return created

    def revoke_token(self, token_id: str) -> TokenOut:
        """Revoke one of one's tokens (another user's token is not found)."""
        with self.db.transaction() as tx:
            if tokens.get_token(tx, token_id).user_id != self.user_id:
                raise NotFound(f"no token {token_id}")
            revoked = tokens.revoke_token(tx, token_id)
            audit.record_by(tx, self.actor, "token.revoked", target=token_id)
        return TokenOut(**revoked.__dict__)

    def change_password(self, spec: PasswordChange, *, limits: LoginSettings) -> None:
        with self.db.read() as tx:
            user = users.find_user(tx, self.user_id)
        if user.password_hash is not None:
            self._check_current(user, spec.current_password or "", limits)
        password_hash = hash_password(spec.password)
        with self.db.transaction() as tx:
            LoginThrottle(limits).reset(tx, user.email)
            users.update_user(tx, user, password_hash=password_hash)
            tokens.revoke_sessions(tx, user.id)
            audit.record_by(tx, self.actor, "user.password_changed", target=user.id)

    def _check_current(self, user: users.User, password: str, limits: LoginSettings) -> None:
        try:
            check_password(
                self.db,
                user.email,
                password,
                address=self.actor.address,
                limits=limits,
                purpose="password change",
            )
        except Unauthenticated as exc:
            raise InvalidInput("the current password does not match") from exc
