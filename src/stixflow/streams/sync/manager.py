"""The synchroniser manager: a thread inside ``stixflow serve`` that runs one consumer per
running synchroniser.

Every ``ingestion_manager.interval`` seconds it starts the consumers of synchronisers that run
and have none (or whose consumer died), restarts those whose settings changed, and stops those
stopped or deleted. On PostgreSQL, an advisory lock makes one ``serve`` process the only one
consuming, however many share the database (on SQLite one process serves anyway).
"""

from __future__ import annotations

import logging
import threading

from stixflow.errors import StixflowError
from stixflow.ingest.lock import AdvisoryLock
from stixflow.runtime import Runtime
from stixflow.streams.sync.consumer import SyncConsumer
from stixflow.streams.sync.records import SyncRecords

log = logging.getLogger("stixflow.streams.sync")

SYNC_LOCK_KEY = 0x5717F12


class SyncManager:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.interval = runtime.settings.ingestion_manager.interval
        self.records = SyncRecords(runtime.db, runtime.secrets)
        self.consumers: dict[str, tuple[str, SyncConsumer]] = {}
        self.lock = (
            AdvisoryLock(runtime.db.url, key=SYNC_LOCK_KEY)
            if (runtime.db.dialect == "postgresql")
            else None
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync-manager", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for _, consumer in list(self.consumers.values()):
            consumer.stop(timeout=timeout)
        self.consumers.clear()
        if self.lock is not None:
            self.lock.release()

    def _run(self) -> None:
        log.info("live-stream synchroniser manager started (every %.0fs)", self.interval)
        while not self._stop.is_set():
            try:
                self.tick()
            except StixflowError as exc:
                log.warning("live-stream synchroniser manager: %s", exc)
            self._stop.wait(self.interval)

    def tick(self) -> None:
        if self.lock is not None and not self.lock.acquire():
            return
        wanted = {sync.id: sync for sync in self.records.list(running_only=True)}
        for sync_id, (version, consumer) in list(self.consumers.items()):
            sync = wanted.get(sync_id)
            if sync is None or sync.updated_at != version or not consumer.alive:
                log.info("stopping the consumer of synchroniser %s", sync_id)
                consumer.stop()
                del self.consumers[sync_id]
        for sync_id, sync in wanted.items():
            if sync_id not in self.consumers:
                log.info("starting the consumer of synchroniser %s (%s)", sync.name, sync_id)
                consumer = SyncConsumer(self.runtime, sync)
                consumer.start()
                self.consumers[sync_id] = (sync.updated_at, consumer)
