"""The event-log pruner: a thread of ``stixflow serve`` that applies ``events.retention_days``
every ``events.prune_interval_seconds`` (``store.retention``). Several ``serve`` processes may
prune side by side: each batch is its own transaction and removing an event twice is harmless."""

from __future__ import annotations

import logging
import threading

from stixflow.errors import StixflowError
from stixflow.runtime import Runtime
from stixflow.store import retention

log = logging.getLogger("stixflow.retention")


class EventPruner:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.days = runtime.settings.events.retention_days
        self.interval = runtime.settings.events.prune_interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.days <= 0:
            log.info("event log kept whole (events.retention_days = 0)")
            return
        self._thread = threading.Thread(target=self.run, name="event-pruner", daemon=True)
        self._thread.start()

    def run(self) -> None:
        log.info("event log keeps %g days of history", self.days)
        while True:
            try:
                self.prune()
            except StixflowError as exc:
                log.warning("event pruner: %s", exc)
            if self._stop.wait(self.interval):
                return

    def prune(self) -> int:
        removed = retention.prune(self.runtime.db, retention.cutoff(self.days))
        if removed:
            log.info("event log: %d events older than %g days removed", removed, self.days)
        return removed

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
