"""How a fetch may reach out: the policy, and the limits of a check a user triggers.

A user-triggered check (a feed's ``…/test``, the verification at create or update, a CSV mapper
test by URL, a live stream's remote validation) must not let its caller tell a refused
destination from a closed or a filtered port by the time it takes: it is not retried, its
connect timeout is capped (``CHECK_CONNECT_TIMEOUT``) and a failure answers no sooner than
``outbound.failure_floor_seconds`` after the check started (``failure_floor``). Background runs
(the scheduler, synchronisers) keep their retries and have no floor.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from stixflow.config import Settings
from stixflow.net.policy import OutboundPolicy

#: Seconds a user-triggered check waits for a TCP connection (a filtered port takes this long).
CHECK_CONNECT_TIMEOUT = 3.0


@dataclass(frozen=True)
class Outbound:
    policy: OutboundPolicy
    check: bool = False
    floor_seconds: float = 0.0

    @classmethod
    def background(cls, settings: Settings) -> Outbound:
        return cls(OutboundPolicy.from_settings(settings.outbound))

    @classmethod
    def user_check(cls, settings: Settings) -> Outbound:
        outbound = settings.outbound
        return cls(
            OutboundPolicy.from_settings(outbound),
            check=True,
            floor_seconds=outbound.failure_floor_seconds,
        )

    def connect_timeout(self, timeout: float) -> float:
        return min(timeout, CHECK_CONNECT_TIMEOUT) if self.check else timeout

    def retries(self, retries: int) -> int:
        return 0 if self.check else retries

    @contextmanager
    def floor(self) -> Iterator[None]:
        """Any exception raised inside is re-raised no sooner than ``floor_seconds`` after
        entering."""
        started = time.monotonic()
        try:
            yield
        except Exception:
            self.hold(started)
            raise

    def hold(self, started: float) -> None:
        """Wait until ``floor_seconds`` have passed since ``started`` (``time.monotonic``)."""
        left = started + self.floor_seconds - time.monotonic()
        if left > 0:
            time.sleep(left)
