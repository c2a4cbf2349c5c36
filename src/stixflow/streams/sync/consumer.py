"""One synchroniser at work: a reader thread on the remote's SSE stream, an applier thread.

The reader connects to ``<uri>/stream/<stream_id>`` in OpenCTI's protocol (``opencti.py``: an
OpenCTI platform or a stixflow) from the checkpoint (or the starting date, or the beginning),
with the synchroniser's ``listen-delete`` and ``no-dependencies`` options, and puts every event
and heartbeat in a bounded buffer (a full buffer stops reading, which is
the back-pressure). It reconnects after any failure, with a growing pause, from the last event
it read. The applier takes what the buffer holds (up to ``BATCH``), writes it in stream order
(``apply.BatchWriter``) and saves the last event id as the checkpoint once queued, so a restart of
either side resumes with no gap; a duplicate after a crash is harmless (writes are upserts).
"""

from __future__ import annotations

import logging
import queue
import threading

import httpx
from httpx_sse import SSEError, connect_sse

from stixflow.access.principal import principal_of
from stixflow.errors import SourceError, StixflowError
from stixflow.net.checks import Outbound
from stixflow.runtime import Runtime
from stixflow.streams import sse
from stixflow.streams.sse import CONNECTED, DELETE
from stixflow.streams.sync import opencti
from stixflow.streams.sync.apply import BatchWriter, Item
from stixflow.streams.sync.records import Sync, SyncRecords
from stixflow.streams.sync.remote import RemotePlatform

log = logging.getLogger("stixflow.streams.sync")

BATCH = 500
BUFFER = 5000
HEARTBEAT = 5.0
MAX_PAUSE = 30.0


class SyncConsumer:
    def __init__(self, runtime: Runtime, sync: Sync) -> None:
        self.runtime = runtime
        self.sync = sync
        self.records = SyncRecords(runtime.db, runtime.secrets)
        self.position = sync.last_event_id
        self.buffer: queue.Queue[Item] = queue.Queue(BUFFER)
        self._stop = threading.Event()
        self._client: httpx.Client | None = None
        self._threads = [
            threading.Thread(target=self._read_loop, name=f"sync-read-{sync.name}", daemon=True),
            threading.Thread(target=self._apply_loop, name=f"sync-apply-{sync.name}", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        client = self._client
        if client is not None:
            client.close()
        for thread in self._threads:
            thread.join(timeout)

    @property
    def alive(self) -> bool:
        return all(thread.is_alive() for thread in self._threads)

    # -- reading -------------------------------------------------------------------------

    def _read_loop(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                self._read_once()
                pause = 0.5
            except (httpx.HTTPError, SSEError, StixflowError, ValueError) as exc:
                if self._stop.is_set():
                    break
                log.warning("sync %s: %s (reconnecting in %.1fs)", self.sync.name, exc, pause)
                self.records.record_error(self.sync.id, f"{type(exc).__name__}: {exc}")
            self._stop.wait(pause)
            pause = min(pause * 2, MAX_PAUSE)
        self.records.record_connected(self.sync.id, False)

    def _request(self) -> tuple[dict[str, str], dict[str, str]]:
        params, headers = opencti.start_params(
            position=self.position,
            starting_date=self.sync.starting_date,
            listen_deletion=self.sync.listen_deletion,
            no_dependencies=self.sync.no_dependencies,
        )
        return {**params, "heartbeat": str(HEARTBEAT)}, headers

    def _read_once(self) -> None:
        remote = RemotePlatform(
            self.sync.uri,
            self.sync.token,
            outbound=Outbound.background(self.runtime.settings),
            verify=self.sync.ssl_verify,
        )
        with remote.client(read_timeout=HEARTBEAT * 4) as client:
            self._client = client
            url = remote.stream_url(self.sync.stream_id)
            params, headers = self._request()
            with connect_sse(client, "GET", url, params=params, headers=headers) as source:
                if source.response.status_code != 200:
                    raise SourceError(f"{url} answered {source.response.status_code}")
                for sse in source.iter_sse():
                    if self._stop.is_set():
                        return
                    self._take(sse.event, sse.data, sse.id or None)

    def _take(self, event: str, data: str, event_id: str | None) -> None:
        if event == CONNECTED:
            self.records.record_connected(self.sync.id, True)
            return
        try:
            decoded = opencti.decode(event, data, event_id, source=self.sync.uri)
        except SourceError as exc:  # one unreadable event: reported, and passed (as OpenCTI does)
            log.warning("sync %s: event %s skipped: %s", self.sync.name, event_id, exc)
            self.records.record_error(self.sync.id, f"event {event_id} skipped: {exc}")
            decoded = opencti.Event(sse.HEARTBEAT, event_id)
        if decoded is None:
            return
        items = [Item(DELETE, {"id": ref}) for ref in decoded.merged]
        items.append(Item(decoded.kind, decoded.data, decoded.id))
        for item in items:
            self._put(item)
        if event_id is not None:
            self.position = event_id

    def _put(self, item: Item) -> None:
        while not self._stop.is_set():
            try:
                self.buffer.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    # -- applying ------------------------------------------------------------------------

    def _apply_loop(self) -> None:
        writer: BatchWriter | None = None
        while not self._stop.is_set():
            batch = self._next_batch()
            if not batch:
                continue
            try:
                writer = writer or BatchWriter(self.runtime, self.sync, markings=self._markings())
                work_id = writer.write(batch, self._stop)
            except StixflowError as exc:
                log.error("sync %s: writing a batch failed: %s", self.sync.name, exc)
                self.records.record_error(self.sync.id, f"writing a batch: {exc}")
                self._rewind()
                continue
            ids = [item.id for item in batch if item.id is not None]
            if ids:
                received = sum(1 for item in batch if item.data is not None)
                self.records.checkpoint(
                    self.sync.id,
                    ids[-1],
                    received=received,
                    work_id=work_id,
                    version=self.sync.updated_at,
                )

    def _rewind(self) -> None:
        """After a batch could not be written: drop what is buffered and read again from the
        saved checkpoint (so nothing is skipped)."""
        self._stop.wait(1.0)
        self.position = self.records.get(self.sync.id).last_event_id
        while not self.buffer.empty():
            self.buffer.get_nowait()
        client = self._client
        if client is not None:
            client.close()

    def _next_batch(self) -> list[Item]:
        try:
            batch = [self.buffer.get(timeout=0.5)]
        except queue.Empty:
            return []
        while len(batch) < BATCH:
            try:
                batch.append(self.buffer.get_nowait())
            except queue.Empty:
                break
        return batch

    def _markings(self) -> tuple[str, ...]:
        if self.sync.user_id is None:
            return ()
        with self.runtime.db.read() as tx:
            return principal_of(tx, self.sync.user_id).default_markings
