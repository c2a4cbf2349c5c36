"""Login rate limits: failed password checks counted per account and per client address.

An account is a lower-cased email, known or not (an unknown email is limited like a real one, so
the answer tells nothing); an address is the client's IP address. Within ``window_seconds``, past
``max_failures_per_account`` for the account or ``max_failures_per_address`` for the address, a
check raises ``RateLimited`` with the seconds until the oldest counted failure leaves the window:
the caller refuses the attempt before any password hashing. Refused attempts are not counted
(the lock-out ends one window after the failures that caused it). A success resets the account's
count, never the address's (one good account must not clear a password spray).

The counts live in the database (``login_failures``) so every API process shares them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from stixflow.config import LoginSettings
from stixflow.db.base import Tx
from stixflow.errors import RateLimited

ACCOUNT = "account"
ADDRESS = "address"
MAX_SUBJECT = 200


@dataclass(frozen=True)
class LoginThrottle:
    limits: LoginSettings

    def check(self, tx: Tx, email: str, address: str | None) -> None:
        """Raise RateLimited if the account or the address is past its limit."""
        stamp = time.time()
        for scope, subject, limit in self._subjects(email, address):
            wait = self._wait(tx, scope, subject, limit, stamp)
            if wait is not None:
                raise RateLimited(
                    f"too many failed logins for this {scope}: try again in {round(wait)} s",
                    retry_after=wait,
                )

    def record_failure(self, tx: Tx, email: str, address: str | None) -> None:
        """Count a failed password check (and forget failures older than the window)."""
        stamp = time.time()
        tx.execute(
            "DELETE FROM login_failures WHERE failed_at <= ?",
            (stamp - self.limits.window_seconds,),
        )
        tx.executemany(
            "INSERT INTO login_failures (scope, subject, failed_at) VALUES (?, ?, ?)",
            [(scope, subject, stamp) for scope, subject, _ in self._subjects(email, address)],
        )

    def reset(self, tx: Tx, email: str) -> None:
        """Forget the account's failures (after a success)."""
        tx.execute(
            "DELETE FROM login_failures WHERE scope = ? AND subject = ?",
            (ACCOUNT, account_of(email)),
        )

    def _subjects(self, email: str, address: str | None) -> Iterator[tuple[str, str, int]]:
        yield ACCOUNT, account_of(email), self.limits.max_failures_per_account
        if address:
            yield ADDRESS, address[:MAX_SUBJECT], self.limits.max_failures_per_address

    def _wait(self, tx: Tx, scope: str, subject: str, limit: int, stamp: float) -> float | None:
        """Seconds until fewer than ``limit`` failures remain in the window (None: not limited)."""
        window = self.limits.window_seconds
        recent = tx.fetchall(
            "SELECT failed_at FROM login_failures WHERE scope = ? AND subject = ? "
            "AND failed_at > ? ORDER BY failed_at DESC LIMIT ?",
            (scope, subject, stamp - window, limit),
        )
        if len(recent) < limit:
            return None
        return max(float(recent[-1][0]) + window - stamp, 0.001)


def account_of(email: str) -> str:
    return email.strip().lower()[:MAX_SUBJECT]
