"""Submitting a bundle: normalise it, open a work, queue it in chunks on its source's queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stixflow.pipeline.queues import QueueRegistry
from stixflow.pipeline.works import Work, WorkStore
from stixflow.queue.base import Queue
from stixflow.queue.message import ImportMessage
from stixflow.stix.bundle import chunks, normalize, write_order

DEFAULT_SOURCE = "import"


class Submitter:
    def __init__(
        self, *, queue: Queue, works: WorkStore, registry: QueueRegistry, chunk_size: int
    ) -> None:
        self.queue = queue
        self.works = works
        self.registry = registry
        self.chunk_size = chunk_size

    def submit(
        self,
        objects: Sequence[dict[str, Any]],
        *,
        name: str,
        source: str = DEFAULT_SOURCE,
        user_id: str | None = None,
    ) -> Work:
        """Queue a parsed bundle as one work; return the work (its counts show progress)."""
        normalized = normalize(list(objects))
        ordered = write_order(normalized.objects)
        work = self.works.create(name=name, source=source, user_id=user_id, expected=len(ordered))
        queue_name = self.registry.ensure(self.queue, source)
        bodies = [
            ImportMessage(
                work_id=work.id,
                seq=seq,
                source=source,
                user_id=user_id,
                objects=chunk,
                aliases=_aliases_for(chunk, normalized.aliases),
            ).encode()
            for seq, chunk in enumerate(chunks(ordered, self.chunk_size))
        ]
        self.queue.publish_many(queue_name, bodies)
        return work


def _aliases_for(chunk: list[dict[str, Any]], aliases: dict[str, str]) -> dict[str, str]:
    if not aliases:
        return {}
    ids = {obj["id"] for obj in chunk}
    return {old: new for old, new in aliases.items() if new in ids}
