"""The work reaper: a thread of ``stixflow serve`` that marks abandoned works failed.

A work is abandoned, and marked ``failed`` with the reason, when for
``works.abandoned_after_seconds``

1. its submit is still under way but gave no sign of life (the process queuing its chunks died:
   ``the submit stopped after queuing X of Y objects``), or
2. it is fully queued, objects are still missing, nothing happened to it, and its source's queue
   holds no message at all (``no progress for N s``): what is missing will never come. A queue
   that holds messages is a backlog, not an abandonment, however long it takes.

Each mark re-checks its condition in the same statement, so a heartbeat or a processed chunk
that lands meanwhile wins, and several ``serve`` processes may reap side by side. Objects
already written stay written; submitting the same bundle again is harmless (objects are merged
by id, never duplicated) and completes the data. A failed work that reaches its count after
all (its messages were only slow) becomes complete.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from stixflow.clock import stix_timestamp
from stixflow.errors import StixflowError
from stixflow.pipeline.works import Work
from stixflow.queue.message import queue_name
from stixflow.runtime import Runtime

log = logging.getLogger("stixflow.reaper")

MAX_INTERVAL_SECONDS = 60.0
RESUBMIT = "objects already written stay; submit the bundle again to complete it"


class WorkReaper:
    def __init__(self, runtime: Runtime, *, interval: float | None = None) -> None:
        self.runtime = runtime
        self.works = runtime.works
        self.after = runtime.settings.works.abandoned_after_seconds
        self.interval = interval or min(MAX_INTERVAL_SECONDS, max(1.0, self.after / 10))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="work-reaper", daemon=True)
        self._thread.start()

    def run(self) -> None:
        log.info("work reaper started (abandoned after %.0fs)", self.after)
        while not self._stop.wait(self.interval):
            try:
                self.reap()
            except StixflowError as exc:
                log.warning("work reaper: %s", exc)

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- one pass ------------------------------------------------------------------------

    def reap(self) -> list[str]:
        """Mark the works abandoned now failed; return their ids."""
        before = stix_timestamp(datetime.now(UTC) - timedelta(seconds=self.after))
        reaped = [
            work.id for work in self.works.stalled_submits(before) if self._submit(work, before)
        ]
        busy: dict[str, bool] = {}
        for work in self.works.stalled(before):
            if self._queued(work.source, busy):
                continue
            if self._stalled(work, before):
                reaped.append(work.id)
        return reaped

    def _submit(self, work: Work, before: str) -> bool:
        reason = (
            f"abandoned: the submit stopped after queuing {work.queued} of {work.expected} "
            f"objects (no sign of it for {self.after:.0f} s); {RESUBMIT}"
        )
        return self._fail(work, reason, "submitting > 0 AND submit_updated_at < ?", before)

    def _stalled(self, work: Work, before: str) -> bool:
        reason = (
            f"abandoned: no progress for {self.after:.0f} s with {work.expected - work.done} "
            f"of {work.expected} objects missing and nothing left in its queue; {RESUBMIT}"
        )
        condition = (
            "submitting = 0 AND processed + failed < expected "
            "AND COALESCE(progress_at, created_at) < ?"
        )
        return self._fail(work, reason, condition, before)

    def _fail(self, work: Work, reason: str, condition: str, before: str) -> bool:
        if not self.works.fail(work.id, reason, only_if=condition, params=(before,)):
            return False
        log.warning("work %s (%s): %s", work.id, work.name, reason)
        return True

    def _queued(self, source: str, busy: dict[str, bool]) -> bool:
        """Whether the source's queue holds messages (asked once per source and pass)."""
        if source not in busy:
            name = queue_name(source)
            known = name in self.runtime.registry.names()
            busy[source] = known and self.runtime.queue.depth(name) > 0
        return busy[source]
