"""The ingestion manager: a thread inside ``stixflow serve`` that keeps every running feed current.

Every ``ingestion_manager.interval`` seconds it takes (or renews) the manager lock (``lock.py``;
another process holding it means this one stands by), then for each running ingester:

1. skips it while its previous run is still going;
2. skips it until its ``scheduling_period`` (ISO-8601 duration, or ``auto``: every time) has
   passed since its last run;
3. skips it while its queue holds more than ``ingestion_manager.queue_threshold`` messages
   (back-pressure; the ingester shows ``buffering``);
4. otherwise starts a run (``base.run_ingester``) on a thread pool, with a deadline.

The loop never waits for a run: a feed that hangs holds one pool thread until its own timeouts
and deadline end it, and delays no other feed.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import isodate

from stixflow.errors import StixflowError
from stixflow.ingest.base import RunOutcome, run_ingester
from stixflow.ingest.common import parse_timestamp
from stixflow.ingest.lock import ManagerLock, lock_for
from stixflow.ingest.records import Ingester, IngesterRecords
from stixflow.ingest.registry import feed_kind
from stixflow.ingest.schemas import AUTO
from stixflow.queue.message import queue_name
from stixflow.runtime import Runtime

log = logging.getLogger("stixflow.ingest.manager")

DEFAULT_PARALLEL = 8
DEFAULT_RUN_TIMEOUT = 3600.0


def is_due(ingester: Ingester, moment: datetime) -> bool:
    """Its scheduling period has passed since its last run (or it never ran)."""
    if ingester.scheduling_period == AUTO or not ingester.last_run_at:
        return True
    last = parse_timestamp(ingester.last_run_at)
    if last is None:
        return True
    try:
        period = isodate.parse_duration(ingester.scheduling_period)
    except (isodate.ISO8601Error, ValueError):
        return True
    return bool(last + period <= moment)


class IngestionManager:
    def __init__(
        self,
        runtime: Runtime,
        *,
        lock: ManagerLock | None = None,
        parallel: int = DEFAULT_PARALLEL,
        run_timeout: float = DEFAULT_RUN_TIMEOUT,
    ) -> None:
        self.runtime = runtime
        self.interval = runtime.settings.ingestion_manager.interval
        self.threshold = runtime.settings.ingestion_manager.queue_threshold
        self.lock = lock or lock_for(runtime.db, interval=self.interval)
        self.run_timeout = run_timeout
        self.records = IngesterRecords(runtime.db, runtime.secrets)
        self.outcomes: dict[str, RunOutcome] = {}
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="ingest")
        self._inflight: dict[str, Future[RunOutcome]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="ingestion-manager", daemon=True)
        self._thread.start()

    def run(self) -> None:
        log.info("ingestion manager started (every %.0fs)", self.interval)
        while not self._stop.is_set():
            try:
                self.tick()
            except StixflowError as exc:
                log.warning("ingestion manager: %s", exc)
            self._stop.wait(self.interval)

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop starting runs; give the runs going ``timeout`` seconds to end; let go the lock."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if not self.wait_idle(timeout):
            log.warning("ingestion manager: runs still going at stop: %s", self.busy())
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            self.lock.release()
        except StixflowError as exc:
            log.warning("ingestion manager: releasing the lock: %s", exc)

    # -- one run of the loop -------------------------------------------------------------

    def tick(self) -> list[str]:
        """Start the runs that are due; return the ids started (empty when not the holder)."""
        self._reap()
        if not self.lock.acquire():
            log.debug("ingestion manager: another process holds the lock")
            return []
        moment = datetime.now(UTC)
        started = []
        for ingester in self.records.list(running_only=True):
            if ingester.id in self._inflight or not is_due(ingester, moment):
                continue
            if self._buffering(ingester):
                continue
            self._inflight[ingester.id] = self._pool.submit(self._run, ingester)
            started.append(ingester.id)
        return started

    def _buffering(self, ingester: Ingester) -> bool:
        depth = self.runtime.queue.depth(queue_name(ingester.source))
        full = depth > self.threshold
        if full != ingester.buffering:
            self.records.record_buffering(ingester.id, full)
        if full:
            log.info("ingester %s waits: %d messages still queued", ingester.name, depth)
        return full

    def _run(self, ingester: Ingester) -> RunOutcome:
        deadline = time.monotonic() + self.run_timeout
        outcome = run_ingester(self.runtime, feed_kind(ingester.kind), ingester, deadline=deadline)
        self.outcomes[ingester.id] = outcome
        return outcome

    def _reap(self) -> None:
        for ingester_id, future in list(self._inflight.items()):
            if future.done():
                del self._inflight[ingester_id]
                if future.exception() is not None:
                    log.error("ingester %s: run crashed: %r", ingester_id, future.exception())

    def busy(self) -> list[str]:
        """Ingesters whose run is still going."""
        return [i for i, future in self._inflight.items() if not future.done()]

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no run is going (tests and shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.busy():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True
