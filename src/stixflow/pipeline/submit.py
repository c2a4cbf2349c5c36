"""Submitting a bundle: normalise it, open a work, queue it in chunks on its source's queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stixflow.pipeline.queues import QueueRegistry
from stixflow.pipeline.works import Work, WorkStore
from stixflow.queue.base import Queue
from stixflow.queue.message import ImportMessage
from stixflow.stix.bundle import Normalizer, chunks, write_order_indexes

DEFAULT_SOURCE = "import"
#: Most chunks queued in one ``publish_many`` while a bundle is submitted.
MAX_PUBLISH_BATCH = 8


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
        default_markings: Sequence[str] = (),
        work_id: str | None = None,
    ) -> Work:
        """Queue a parsed bundle as one work; return the work (its counts show progress).

        ``default_markings`` (the submitting user's groups' defaults) are set on every object
        that carries no ``object_marking_refs`` of its own. With ``work_id`` (a work a
        connector opened) the objects are added to that work instead of a new one.

        Streams: the id map and the write order are computed over the whole bundle first (cheap),
        then the chunks are normalised and queued in write order, in batches that double from
        one chunk up to ``MAX_PUBLISH_BATCH``: workers start on the first chunk at once while
        the later ones are prepared, and each broker write (a write transaction on the embedded
        queue) carries several chunks. The work expects every object before the first chunk is
        queued, so it cannot look complete until all chunks are processed.
        """
        objects = list(objects)
        normalizer = Normalizer(objects)
        parts = list(chunks(write_order_indexes(objects), self.chunk_size))
        first, work = self._work_for(work_id, name, source, user_id, len(objects), len(parts))
        queue_name = self.registry.ensure(self.queue, source)
        pending: list[bytes] = []
        batch = 1
        for seq, indexes in enumerate(parts, start=first):
            chunk = with_default_markings(
                [normalizer.one(index) for index in indexes], default_markings
            )
            message = ImportMessage(
                work_id=work.id,
                seq=seq,
                source=source,
                user_id=user_id,
                objects=chunk,
                aliases=_aliases_for(chunk, normalizer.aliases),
            )
            pending.append(message.encode())
            if len(pending) >= batch:
                self.queue.publish_many(queue_name, pending)
                pending, batch = [], min(batch * 2, MAX_PUBLISH_BATCH)
        if pending:
            self.queue.publish_many(queue_name, pending)
        return work

    def _work_for(
        self,
        work_id: str | None,
        name: str,
        source: str,
        user_id: str | None,
        expected: int,
        parts: int,
    ) -> tuple[int, Work]:
        """(first message number, work): a new work, or more expected on an existing one."""
        if work_id is None:
            return 0, self.works.create(
                name=name, source=source, user_id=user_id, expected=expected
            )
        with self.works.db.transaction() as tx:
            first = self.works.extend(tx, work_id, expected=expected, chunks=parts)
        work = self.works.get(work_id)
        assert work is not None
        return first, work


def with_default_markings(
    objects: list[dict[str, Any]], markings: Sequence[str]
) -> list[dict[str, Any]]:
    """Objects without markings get ``markings`` (marking definitions themselves are left as
    they are: marking a marking definition would hide it from readers of the data it marks)."""
    if not markings:
        return objects
    return [
        obj
        if not isinstance(obj, dict)
        or obj.get("object_marking_refs")
        or obj.get("type") == "marking-definition"
        else {**obj, "object_marking_refs": list(markings)}
        for obj in objects
    ]


def _aliases_for(chunk: list[dict[str, Any]], aliases: dict[str, str]) -> dict[str, str]:
    if not aliases:
        return {}
    ids = {obj["id"] for obj in chunk if isinstance(obj, dict) and isinstance(obj.get("id"), str)}
    return {old: new for old, new in aliases.items() if new in ids}
