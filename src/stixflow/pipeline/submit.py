"""Submitting a bundle: open a work, then queue the bundle in chunks on its source's queue.

Two steps, so that the caller knows the work before anything is queued (``POST /api/bundles``
answers with its id, then queues): ``open`` creates the work (or extends a connector's), marked
as being submitted, and ``send`` queues the chunks, renewing the work's heartbeat at every batch,
and clears the mark at the end. A submit that raises marks its work failed with the reason; a
submit whose process died leaves the mark and a heartbeat that ages: the reaper
(``pipeline.reaper``) marks that work failed. ``submit`` does both steps.

Objects that cannot travel (nested deeper than ``limits.MAX_DEPTH``, or holding what JSON cannot
carry: an integer past 64 bits from a mapping) fail at once on the work, the rest of the bundle
is queued.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from stixflow.errors import StixflowError
from stixflow.pipeline.queues import QueueRegistry
from stixflow.pipeline.works import Work, WorkError, WorkStore
from stixflow.queue.base import Queue
from stixflow.queue.message import ImportMessage
from stixflow.stix.bundle import HeldLookup, Normalizer, chunks, write_order_indexes
from stixflow.stix.limits import depth_reason, too_deep
from stixflow.stix.repair import nul_note, remove_nul

log = logging.getLogger("stixflow.submit")

DEFAULT_SOURCE = "import"
#: Most chunks queued in one ``publish_many`` while a bundle is submitted.
MAX_PUBLISH_BATCH = 8


@dataclass
class Submission:
    """A work opened for a bundle whose chunks are still to be queued (``Submitter.send``)."""

    work: Work
    objects: list[dict[str, Any]]
    source: str
    user_id: str | None
    first_seq: int


class Submitter:
    def __init__(
        self,
        *,
        queue: Queue,
        works: WorkStore,
        registry: QueueRegistry,
        chunk_size: int,
        held: HeldLookup | None = None,
    ) -> None:
        """``held``: stored objects by id, so that a twin of a held object gets its own id
        (``stixflow.stix.twins``)."""
        self.held = held
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
        """
        submission = self.open(objects, name=name, source=source, user_id=user_id, work_id=work_id)
        self.send(submission, default_markings=default_markings)
        return submission.work

    def open(
        self,
        objects: Sequence[dict[str, Any]],
        *,
        name: str,
        source: str = DEFAULT_SOURCE,
        user_id: str | None = None,
        work_id: str | None = None,
    ) -> Submission:
        """The work of a bundle, marked as being submitted; its objects too deep to be queued
        already counted as failed."""
        kept, refused, notes = prepare(objects)
        parts = -(-len(kept) // self.chunk_size)
        first, work = self._work_for(work_id, name, source, user_id, len(objects), parts)
        if refused or notes:
            with self.works.db.transaction() as tx:
                self.works.record(
                    tx, work.id, processed=0, failed=len(refused), errors=[*refused, *notes]
                )
        return Submission(work, kept, source, user_id, first)

    def send(self, submission: Submission, *, default_markings: Sequence[str] = ()) -> None:
        """Queue the chunks of an opened work; a failure marks the work failed, then raises.

        Streams: the id map and the write order are computed over the whole bundle first (cheap),
        then the chunks are normalised and queued in write order, in batches that double from
        one chunk up to ``MAX_PUBLISH_BATCH``: workers start on the first chunk at once while
        the later ones are prepared, and each broker write (a write transaction on the embedded
        queue) carries several chunks. The work expects every object before the first chunk is
        queued, so it cannot look complete until all chunks are processed.
        """
        work = submission.work
        queued = 0
        try:
            for count in self._publish(submission, default_markings):
                queued += count
                self.works.queued_more(work.id, count)
        except Exception as exc:
            self._failed(
                work,
                f"the submit failed after queuing {queued} of "
                f"{len(submission.objects)} objects: {exc}; submit the bundle again",
            )
            raise
        self.works.end_submit(work.id)

    def _failed(self, work: Work, reason: str) -> None:
        """Record why a submit stopped (the error that stopped it is raised by the caller)."""
        log.warning("work %s: %s", work.id, reason)
        try:
            self.works.fail(work.id, reason)
        except StixflowError as exc:  # the database is down too: the reaper will see the work
            log.error("work %s: could not be marked failed: %s", work.id, exc)

    def _publish(self, submission: Submission, default_markings: Sequence[str]) -> Iterator[int]:
        """Publish the chunks; yield the number of objects of each batch once it is queued."""
        objects = submission.objects
        normalizer = Normalizer(objects, held=self.held)
        parts = chunks(write_order_indexes(objects), self.chunk_size)
        queue_name = self.registry.ensure(self.queue, submission.source)
        pending: list[bytes] = []
        count, batch = 0, 1
        for seq, indexes in enumerate(parts, start=submission.first_seq):
            chunk = with_default_markings(
                [normalizer.one(index) for index in indexes], default_markings
            )
            message = ImportMessage(
                work_id=submission.work.id,
                seq=seq,
                source=submission.source,
                user_id=submission.user_id,
                objects=chunk,
                aliases=_aliases_for(chunk, normalizer.aliases),
            )
            pending.append(message.encode())
            count += len(chunk)
            if len(pending) >= batch:
                self.queue.publish_many(queue_name, pending)
                yield count
                pending, count, batch = [], 0, min(batch * 2, MAX_PUBLISH_BATCH)
        if pending:
            self.queue.publish_many(queue_name, pending)
            yield count

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
                name=name, source=source, user_id=user_id, expected=expected, submitting=True
            )
        with self.works.db.transaction() as tx:
            first = self.works.extend(tx, work_id, expected=expected, chunks=parts)
            self.works.begin_submit(tx, work_id)
        work = self.works.get(work_id)
        assert work is not None
        return first, work


def prepare(
    objects: Sequence[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[WorkError], list[WorkError]]:
    """(the objects that can travel, NUL characters removed before ids are computed from their
    names; the errors of those that cannot travel: too deep, or not JSON; the notes of the NUL
    characters removed)."""
    kept: list[dict[str, Any]] = []
    refused: list[WorkError] = []
    notes: list[WorkError] = []
    for obj in objects:
        if too_deep(obj):
            refused.append(WorkError(_id_of(obj), depth_reason()))
            continue
        try:
            cleaned, paths = remove_nul(obj) if isinstance(obj, dict) else (obj, [])
        except TypeError as exc:  # what JSON cannot carry: integers past 64 bits, lone surrogates
            refused.append(WorkError(_id_of(obj), f"cannot be written as JSON: {exc}"))
            continue
        kept.append(cleaned)
        if paths:
            notes.append(WorkError(_id_of(cleaned), nul_note(paths)))
    return kept, refused, notes


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


def _id_of(obj: object) -> str | None:
    object_id = obj.get("id") if isinstance(obj, dict) else None
    return object_id if isinstance(object_id, str) else None
