"""Workers apply batches of pycti's one-object messages in one transaction, and count them
exactly: a batch redelivered after a crash between its commit and its ack is not counted twice;
a worker killed with SIGKILL mid-run loses nothing and counts nothing twice; one bad object in a
batch fails alone."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

from stixflow.connectors.bridge import import_message
from stixflow.connectors.opencti import encode_push
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime
from stixflow.stix.validate import default_validator
from stixflow.store.base import Access
from stixflow.worker.batch import Pending, apply_batch
from stixflow.worker.loop import Worker
from tests.conftest import Pair
from tests.support import bundle, drain, malware
from tests.worker.test_crash import start_worker, wait_complete

SOURCE = "pycti-feed"


def open_pycti_work(runtime: Runtime, count: int) -> Work:
    """A work as pycti opens it, expecting ``count`` objects, with no end mark needed."""
    work = runtime.works.open(name="run", source=SOURCE, user_id=None, multipart=False)
    with runtime.db.transaction() as tx:
        runtime.works.extend(tx, work.id, expected=count)
    return work


def publish_like_pycti(runtime: Runtime, work: Work, objects: list[dict]) -> str:
    queue = runtime.registry.ensure(runtime.queue, SOURCE)
    bodies = [encode_push(bundle(obj), work_id=work.id, applicant_id=None) for obj in objects]
    runtime.queue.publish_many(queue, bodies)
    return queue


def stored(runtime: Runtime) -> int:
    return sum(runtime.store.count_by_type(access=Access.everything()).values())


def test_a_batch_redelivered_after_its_commit_is_not_counted_twice(runtime: Runtime) -> None:
    objects = [malware(f"Redelivered {i}") for i in range(40)]
    work = open_pycti_work(runtime, len(objects))
    queue = publish_like_pycti(runtime, work, objects)
    deliveries = []
    while len(deliveries) < len(objects):
        deliveries += runtime.queue.receive_many([queue], limit=100, timeout=5)
    batch = [Pending(import_message(queue, d.body, runtime.works), d.body) for d in deliveries]
    apply_batch(runtime, batch, default_validator())  # committed...
    for delivery in deliveries:  # ...then the worker died before its ack: all come back
        runtime.queue.release(delivery)
    worker = Worker(runtime, name="test")
    while worker.handled < len(objects):
        assert worker.run_once(timeout=5), "the redelivered messages did not come back"
    assert runtime.queue.depth(queue) == 0
    done = runtime.works.get(work.id)
    assert done is not None
    assert (done.expected, done.processed, done.failed, done.status) == (40, 40, 0, "complete")
    assert stored(runtime) == 40


def test_the_same_message_sent_twice_counts_twice(runtime: Runtime) -> None:
    """Not a redelivery: pycti sent it twice and expected it twice."""
    work = open_pycti_work(runtime, 2)
    same = encode_push(bundle(malware("Twice")), work_id=work.id, applicant_id=None)
    queue = runtime.registry.ensure(runtime.queue, SOURCE)
    runtime.queue.publish_many(queue, [same, same])
    done = drain(runtime, work)
    assert (done.processed, done.failed, done.status) == (2, 0, "complete")


def test_one_bad_object_in_a_batch_fails_alone(runtime: Runtime) -> None:
    objects = [malware(f"Good {i}") for i in range(30)]
    objects.insert(17, {**malware("Bad"), "created": "not a timestamp"})
    work = open_pycti_work(runtime, len(objects))
    publish_like_pycti(runtime, work, objects)
    worker = Worker(runtime, name="test")
    while worker.handled < len(objects):
        assert worker.run_once(timeout=5)
    done = runtime.works.get(work.id)
    assert done is not None
    assert (done.processed, done.failed, done.status) == (30, 1, "complete")
    assert len(done.errors) == 1 and "created" in done.errors[0].reason, done.errors
    assert stored(runtime) == 30


def test_sigkill_mid_batch_then_restart_counts_every_message_once(
    pair: Pair, runtime: Runtime
) -> None:
    objects = [malware(f"Killed {i}") for i in range(3000)]
    work = open_pycti_work(runtime, len(objects))
    publish_like_pycti(runtime, work, objects)
    victim = start_worker(pair)
    try:
        _wait_for(runtime, work.id, lambda w: w.done > 0, victim)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
    before = runtime.works.get(work.id)
    assert before is not None and before.done < len(objects), "finished before the kill"
    survivor = start_worker(pair)
    try:
        finished = wait_complete(runtime, work.id, timeout=300)
        time.sleep(1.0)  # anything redelivered late would show up as more than expected
        finished = runtime.works.get(work.id) or finished
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    assert (finished.expected, finished.processed, finished.failed) == (3000, 3000, 0)
    assert stored(runtime) == 3000


def _wait_for(
    runtime: Runtime,
    work_id: str,
    ready: Callable[[Work], bool],
    worker: subprocess.Popen[bytes],
    timeout: float = 120,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        work = runtime.works.get(work_id)
        if work is not None and ready(work):
            return
        assert worker.poll() is None, f"the worker exited with {worker.returncode}"
        time.sleep(0.02)
    raise AssertionError(f"work {work_id} made no progress")
