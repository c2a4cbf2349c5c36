"""A worker whose broker connection breaks (the broker closes it after a send timeout while the
worker is busy, a restart, a network cut) goes on with a new connection: what it had not
acknowledged comes again, nothing is lost, the process does not exit."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from stixflow.queue.rabbitmq import RabbitMQQueue
from stixflow.runtime import Runtime, open_runtime
from stixflow.store.base import Access
from stixflow.worker.loop import Worker
from tests.conftest import Pair
from tests.support import malware


def cut(queue: RabbitMQQueue) -> None:
    """Break the queue's TCP connection under it, as a reset by the broker does."""
    conn = queue._conn
    assert conn is not None and conn.is_open
    sock = conn._impl._transport._sock  # pika's socket: a real connection, cut at the OS level
    sock.shutdown(socket.SHUT_RDWR)


def finished(runtime: Runtime, work_id: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        work = runtime.works.get(work_id)
        if work is not None and work.finished:
            return True
        time.sleep(0.1)
    return False


def test_a_worker_goes_on_after_its_broker_connection_breaks(
    pair: Pair, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    if pair.settings.is_embedded_broker:
        pytest.skip("RabbitMQ only: the embedded queue is the database")
    api = open_runtime(pair.settings)
    worker = Worker(runtime, name="t")
    stop = threading.Event()
    queues: list[RabbitMQQueue] = []

    def run() -> None:
        queue = runtime.queue  # the worker thread's own connection
        assert isinstance(queue, RabbitMQQueue)
        queues.append(queue)
        worker.run(stop, poll=0.2)

    thread = threading.Thread(target=run)
    caplog.set_level(logging.WARNING, logger="stixflow.worker")
    thread.start()
    objects = [malware("Before"), malware("After"), malware("Later")]
    try:
        before = api.submitter.submit(objects[:1], name="before")
        assert finished(api, before.id)
        cut(queues[0])
        after = api.submitter.submit(objects[1:], name="after")
        assert finished(api, after.id), "the worker stopped taking work after the cut"
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(10)
        api.close()
    for obj in objects:
        assert runtime.store.get(obj["id"], access=Access.everything()) is not None, obj["name"]
    assert any("going on in" in r.getMessage() for r in caplog.records)
