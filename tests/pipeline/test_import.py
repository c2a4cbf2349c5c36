"""Bundles in, objects out: the import pipeline end to end, on every back-end pair."""

from __future__ import annotations

import threading

import orjson
import pytest

from stixflow.queue.message import ImportMessage, queue_name
from stixflow.runtime import Runtime, open_runtime
from stixflow.store.base import Access, ObjectQuery
from stixflow.worker.loop import Worker
from tests.conftest import Pair
from tests.support import drain, malware, relationship

EVERYTHING = Access.everything()


def total(runtime: Runtime) -> int:
    return sum(runtime.store.count_by_type(access=EVERYTHING).values())


def test_same_bundle_twice_gives_same_count(runtime: Runtime) -> None:
    objects = [malware(f"m{i}") for i in range(30)]
    objects += [relationship(objects[i]["id"], objects[i + 1]["id"]) for i in range(29)]
    first = drain(runtime, runtime.submitter.submit(objects, name="one"))
    count = total(runtime)
    second = drain(runtime, runtime.submitter.submit(objects, name="two"))
    assert count == total(runtime) == 59
    assert (first.processed, second.processed, second.failed) == (59, 59, 0)


def test_invalid_objects_are_reported_one_by_one_while_the_rest_lands(runtime: Runtime) -> None:
    good = [malware("good one"), malware("good two")]
    no_pattern = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    bad_id = {**relationship(good[0]["id"], good[1]["id"]), "id": "relationship--not-a-uuid"}
    work = drain(runtime, runtime.submitter.submit([*good, no_pattern, bad_id], name="mixed"))
    assert (work.processed, work.failed, work.status) == (2, 2, "complete")
    reasons = {error.object_id: error.reason for error in work.errors}
    assert set(reasons) == {no_pattern["id"], "relationship--not-a-uuid"}
    assert "pattern" in reasons[no_pattern["id"]]
    assert total(runtime) == 2


def test_name_based_ids_merge_two_sources_and_keep_the_original_id(runtime: Runtime) -> None:
    a = malware("Emotet", labels=["a"])
    b = malware("emotet ", labels=["b"])
    rel = relationship(b["id"], a["id"], "variant-of")
    drain(runtime, runtime.submitter.submit([a], name="a", source="feed-a"))
    drain(runtime, runtime.submitter.submit([b, rel], name="b", source="feed-b"))
    found = runtime.store.query(ObjectQuery(types=("malware",)), access=EVERYTHING).objects
    assert len(found) == 1
    stored = runtime.store.get(a["id"], access=EVERYTHING)
    assert stored is not None and stored.data["id"] == found[0]["id"]
    assert sorted(stored.aliases) == sorted([a["id"], b["id"]])
    assert stored.sources == ["feed-a", "feed-b"]
    assert sorted(stored.data["labels"]) == ["a", "b"]
    rels = runtime.store.relationships(found[0]["id"], access=EVERYTHING)
    assert [(r["source_ref"], r["target_ref"]) for r in rels] == [(found[0]["id"],) * 2]


def test_reference_to_unknown_object_does_not_drop_the_object(runtime: Runtime) -> None:
    dangling = relationship(
        "malware--3f1a4b3e-2b55-4b8b-8f14-9b8f0d1c2e3f",
        "malware--4f1a4b3e-2b55-4b8b-8f14-9b8f0d1c2e3f",
    )
    work = drain(runtime, runtime.submitter.submit([dangling], name="dangling"))
    assert (work.processed, work.failed) == (1, 0)
    assert runtime.store.get(dangling["id"], access=EVERYTHING) is not None


def test_undecodable_message_goes_to_dead_letters_and_can_be_retried(runtime: Runtime) -> None:
    name = runtime.registry.ensure(runtime.queue, "broken")
    runtime.queue.publish(name, b"{not json")
    worker = Worker(runtime, name="t")
    while worker.run_once(timeout=0.5):
        pass
    letters = runtime.dead_letters.list()
    assert len(letters) == 1
    assert letters[0].queue == name and "undecodable" in letters[0].reason
    assert runtime.queue.depth(name) == 0


def test_message_that_keeps_failing_is_dead_lettered_then_retry_completes_work(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stixflow.errors import TransientBackendError
    from stixflow.worker import loop

    work = runtime.submitter.submit([malware("flaky")], name="flaky")
    calls = {"n": 0}
    real = loop.apply_message

    def failing(*args, **kwargs):
        calls["n"] += 1
        raise TransientBackendError("database went away")

    monkeypatch.setattr(loop, "backoff", lambda attempts: 0.0)
    monkeypatch.setattr(loop, "apply_message", failing)
    worker = Worker(runtime, name="t")
    for _ in range(20):
        if runtime.dead_letters.count():
            break
        worker.run_once(timeout=0.5)
    assert calls["n"] == runtime.settings.worker.max_attempts
    letter = runtime.dead_letters.list()[0]
    assert "database went away" in letter.reason
    failed = runtime.works.get(work.id)
    assert failed.status == "complete" and failed.failed == 1
    monkeypatch.setattr(loop, "apply_message", real)
    runtime.dead_letters.retry(letter.id, runtime.queue)
    done = drain(runtime, work)
    assert (done.processed, done.failed) == (1, 0)
    assert runtime.dead_letters.count() == 0


def test_redelivered_chunk_is_applied_once(runtime: Runtime) -> None:
    objects = [malware("once")]
    work = runtime.works.create(name="dup", source="dup", user_id=None, expected=1)
    name = runtime.registry.ensure(runtime.queue, "dup")
    body = ImportMessage(work_id=work.id, seq=0, source="dup", objects=objects).encode()
    runtime.queue.publish(name, body)
    runtime.queue.publish(name, body)
    worker = Worker(runtime, name="t")
    while worker.run_once(timeout=0.5):
        pass
    done = runtime.works.get(work.id)
    assert (done.processed, done.expected, done.status) == (1, 1, "complete")
    assert queue_name("dup") == name


def test_two_workers_overlapping_bundles_concurrently(pair: Pair, runtime: Runtime) -> None:
    shared = [malware(f"shared {i}") for i in range(150)]
    first = shared + [malware(f"first {i}") for i in range(150)]
    second = list(reversed(shared)) + [malware(f"second {i}") for i in range(150)]
    w1 = runtime.submitter.submit(first, name="first")
    w2 = runtime.submitter.submit(second, name="second")
    stop = threading.Event()
    runtimes = [open_runtime(pair.settings) for _ in range(2)]
    threads = [
        threading.Thread(target=Worker(r, name=f"w{i}").run, args=(stop,), kwargs={"poll": 0.1})
        for i, r in enumerate(runtimes)
    ]
    for thread in threads:
        thread.start()
    try:
        drain(runtime, w1, timeout=120)
        drain(runtime, w2, timeout=120)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        for r in runtimes:
            r.close()
    assert total(runtime) == 450
    assert runtime.works.get(w1.id).processed == 300
    assert runtime.works.get(w2.id).processed == 300


def test_export_round_trip_is_valid_stix(runtime: Runtime, tmp_path) -> None:
    from stix2validator import ValidationOptions, validate_instance

    from stixflow.cli.export import iter_objects, write_bundle

    objects = [malware("exported", labels=["x"]), malware("other")]
    objects.append(relationship(objects[0]["id"], objects[1]["id"]))
    drain(runtime, runtime.submitter.submit(objects, name="export"))
    out = tmp_path / "export.json"
    filters = {
        "types": (),
        "text": None,
        "marking": None,
        "author": None,
        "source": None,
        "modified_after": None,
        "modified_before": None,
    }
    with out.open("wb") as handle:
        count = write_bundle(handle, iter_objects(runtime, filters))
    assert count == 3
    results = validate_instance(orjson.loads(out.read_bytes()), ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
