"""The submitter streams: the id map first, then chunks queued while later ones are prepared."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson

from stixflow.pipeline.submit import MAX_PUBLISH_BATCH, Submitter
from stixflow.pipeline.works import COMPLETE
from stixflow.queue.base import Queue
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.bundle import chunks, normalize, parse_bundle, write_order
from stixflow.worker.loop import Worker
from tests.support import TLP_GREEN, drain, malware, relationship


class RecordingQueue:
    """Wraps a queue: records every ``publish_many`` and runs ``after_publish`` after each."""

    def __init__(self, inner: Queue, after_publish=None) -> None:
        self.inner = inner
        self.batches: list[list[bytes]] = []
        self.after_publish = after_publish

    def publish_many(self, queue: str, bodies: Sequence[bytes]) -> None:
        self.inner.publish_many(queue, bodies)
        self.batches.append(list(bodies))
        if self.after_publish is not None:
            self.after_publish()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def submitter(runtime: Runtime, queue, *, chunk_size: int) -> Submitter:
    return Submitter(
        queue=queue, works=runtime.works, registry=runtime.registry, chunk_size=chunk_size
    )


def test_workers_consume_the_first_chunks_before_the_submit_finishes(runtime: Runtime) -> None:
    objects = [malware(f"m{i}") for i in range(20)]
    objects += [relationship(objects[i]["id"], objects[i + 1]["id"]) for i in range(19)]
    worker = Worker(runtime, name="eager")
    worker.batch_messages = 1  # one chunk per run_once, to see the interleaving chunk by chunk
    seen = []

    def consume_one() -> None:
        if not seen or seen[-1].status != COMPLETE:
            worker.run_once(timeout=2.0)
        seen.append(runtime.works.list(limit=1)[0])

    queue = RecordingQueue(runtime.queue, consume_one)
    work = submitter(runtime, queue, chunk_size=5).submit(objects, name="streamed")
    # 8 chunks in batches of 1, 2, 4, 1; a worker took one chunk after each batch was queued
    assert [len(batch) for batch in queue.batches] == [1, 2, 4, 1]
    assert [s.processed for s in seen] == [5, 10, 15, 20]
    # the work expected every object from the start, so it never looked complete early
    assert all(s.expected == 39 and s.status != COMPLETE for s in seen)
    final = drain(runtime, work)
    assert (final.expected, final.processed, final.failed, final.status) == (39, 39, 0, COMPLETE)


def test_publish_batches_double_up_to_the_cap(runtime: Runtime) -> None:
    objects = [malware(f"m{i}") for i in range(40)]
    queue = RecordingQueue(runtime.queue)
    work = submitter(runtime, queue, chunk_size=1).submit(objects, name="batches")
    sizes = [len(batch) for batch in queue.batches]
    assert sizes == [1, 2, 4, *[MAX_PUBLISH_BATCH] * 4, 1]
    assert drain(runtime, work).processed == 40


def test_messages_are_those_of_normalising_the_whole_bundle_first(
    runtime: Runtime, data_dir: Path
) -> None:
    """Streaming changes when chunks are queued, not what they hold nor their order."""
    objects = parse_bundle((data_dir / "stix" / "mitre-cti-mobile-attack.json").read_bytes())
    normalized = normalize(objects)
    assert normalized.aliases  # the bundle does rename objects
    queue = RecordingQueue(runtime.queue)
    submitter(runtime, queue, chunk_size=300).submit(
        objects, name="mobile", default_markings=[TLP_GREEN]
    )
    messages = [ImportMessage.decode(body) for batch in queue.batches for body in batch]
    expected = list(chunks(write_order(normalized.objects), 300))
    assert [m.seq for m in messages] == list(range(len(expected)))
    for message, chunk in zip(messages, expected, strict=True):
        assert orjson.dumps(message.objects) == orjson.dumps(
            [
                obj
                if obj.get("object_marking_refs") or obj["type"] == "marking-definition"
                else {**obj, "object_marking_refs": [TLP_GREEN]}
                for obj in chunk
            ]
        )
        ids = {obj["id"] for obj in chunk}
        assert message.aliases == {
            old: new for old, new in normalized.aliases.items() if new in ids
        }


def test_an_object_without_id_among_renamed_ones_is_reported_not_fatal(
    runtime: Runtime,
) -> None:
    renamed = malware("Emotet")  # gets its name-based id: the batch has aliases
    no_id = {k: v for k, v in malware("Other").items() if k != "id"}
    work = drain(runtime, runtime.submitter.submit([renamed, no_id], name="no id"))
    assert (work.processed, work.failed) == (1, 1)
    assert [error.reason for error in work.errors] == ["missing 'id'"]
