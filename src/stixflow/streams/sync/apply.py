"""A batch of stream events → works on the synchroniser's queue, applied in stream order.

Creates, updates and merges become objects to write, deletions ids to delete (each unless
another source also contributed the object). A batch is cut into segments (writes, then
deletions) and each segment is one work of one ``sync`` message; the next segment is queued only
once the previous work is complete, so the stream's order holds whatever the number of workers.
Perfect synchronisation sends the remote's objects as they are (remote ids kept, no
re-identification) with ``overwrite`` set; otherwise they are normalised like any import.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from stixflow.clock import now
from stixflow.pipeline.submit import with_default_markings
from stixflow.pipeline.works import COMPLETE
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.bundle import normalize
from stixflow.store.base import StixObject
from stixflow.streams.sse import DELETE, HEARTBEAT
from stixflow.streams.sync.records import Sync

WAIT_POLL = 0.02
WAIT_LIMIT = 300.0


@dataclass(frozen=True)
class Item:
    """One message read from the stream: an event (with its object) or a heartbeat."""

    event: str
    data: StixObject | None = None
    id: str | None = None


@dataclass
class Segment:
    writes: list[StixObject]
    deletions: list[str]


def segments(items: list[Item], *, listen_deletion: bool) -> list[Segment]:
    """Consecutive writes then deletions; a write after a deletion starts a new segment."""
    found: list[Segment] = []
    for item in items:
        if item.event == HEARTBEAT or item.data is None or "id" not in item.data:
            continue
        if item.event == DELETE:
            if not listen_deletion:
                continue
            if not found:
                found.append(Segment([], []))
            found[-1].deletions.append(item.data["id"])
        else:
            if not found or found[-1].deletions:
                found.append(Segment([], []))
            found[-1].writes.append(item.data)
    return found


class BatchWriter:
    def __init__(self, runtime: Runtime, sync: Sync, *, markings: tuple[str, ...] = ()) -> None:
        self.runtime = runtime
        self.sync = sync
        self.markings = markings
        self.queue_name = runtime.registry.ensure(runtime.queue, sync.source)

    def write(self, items: list[Item], stop: threading.Event) -> str | None:
        """Queue and apply the batch in order; the id of the last work (None: nothing to do)."""
        last: str | None = None
        for segment in segments(items, listen_deletion=self.sync.listen_deletion):
            last = self._submit(segment)
            self._wait(last, stop)
        return last

    def _submit(self, segment: Segment) -> str:
        writes, aliases = segment.writes, {}
        if not self.sync.synchronized:
            normalized = normalize(writes)
            writes = with_default_markings(normalized.objects, self.markings)
            aliases = normalized.aliases
        work = self.runtime.works.create(
            name=f"{self.sync.name} @ {now()}",
            source=self.sync.source,
            user_id=self.sync.user_id,
            expected=len(writes) + len(segment.deletions),
        )
        message = ImportMessage(
            work_id=work.id,
            seq=0,
            source=self.sync.source,
            objects=writes,
            user_id=self.sync.user_id,
            aliases=aliases,
            kind="sync",
            overwrite=self.sync.synchronized,
            deletions=segment.deletions,
        )
        self.runtime.queue.publish(self.queue_name, message.encode())
        return work.id

    def _wait(self, work_id: str, stop: threading.Event) -> None:
        deadline = time.monotonic() + WAIT_LIMIT
        while not stop.is_set() and time.monotonic() < deadline:
            work = self.runtime.works.get(work_id)
            if work is None or work.status == COMPLETE:
                return
            stop.wait(WAIT_POLL)
