"""One behavioural suite for every queue back end (the semantics of ``stixflow.queue.base``).

RabbitMQ is taken from ``STIXFLOW_TEST_AMQP`` (default: guest on 127.0.0.1:5672). When it does
not answer, its cases skip with the reason, except in CI (``CI`` set) where they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from stixflow.queue.base import Delivery, Queue

RABBITMQ_URL = os.environ.get("STIXFLOW_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/%2F")
JOBS = "jobs"
OTHER = "other"


class QueueFactory:
    """Makes queue instances on one shared broker; each stands for one process or thread."""

    def __init__(self, make: Callable[[], Queue], *, redelivery_timeout: float) -> None:
        self._make = make
        self.redelivery_timeout = redelivery_timeout
        self.made: list[Queue] = []

    def __call__(self) -> Queue:
        queue = self._make()
        self.made.append(queue)
        return queue

    def clean_up(self) -> None:
        """Delete the test's queues through every instance (each knows what it declared)."""
        for queue in self.made:
            queue.delete(JOBS)
            queue.delete(OTHER)
            queue.close()


def _require_rabbitmq() -> None:
    parts = urlsplit(RABBITMQ_URL)
    address = (parts.hostname or "127.0.0.1", parts.port or 5672)
    try:
        socket.create_connection(address, timeout=1.0).close()
    except OSError as exc:
        reason = f"RabbitMQ does not answer on {address[0]}:{address[1]}: {exc}"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"{reason} (CI must run every back end)")
        pytest.skip(reason)


def _rabbitmq(tmp_path: Path) -> tuple[QueueFactory, Callable[[], None]]:
    _require_rabbitmq()
    from stixflow.queue.rabbitmq import RabbitMQQueue

    prefix = f"test-{uuid.uuid4().hex[:12]}."
    factory = QueueFactory(
        lambda: RabbitMQQueue(RABBITMQ_URL, prefix=prefix), redelivery_timeout=5.0
    )
    return factory, lambda: None


# -- embedded back end ---------------------------------------------------------------------------
def _embedded(tmp_path: Path) -> tuple[QueueFactory, Callable[[], None]]:
    from stixflow.db import Database, open_database
    from stixflow.db.migrations import migrate
    from stixflow.queue.embedded import EmbeddedQueue

    url = f"sqlite:///{tmp_path}/q.db"
    databases: list[Database] = []

    def make() -> Queue:
        databases.append(open_database(url))
        # A short lease, so that a dead consumer's message comes back within the test.
        return EmbeddedQueue(databases[-1], lease_seconds=2.0)

    setup = open_database(url)
    migrate(setup)
    setup.close()

    def close_databases() -> None:
        for db in databases:
            db.close()

    return QueueFactory(make, redelivery_timeout=5.0), close_databases


# -----------------------------------------------------------------------------------------------

BACKENDS = {"rabbitmq": _rabbitmq, "embedded": _embedded}


@pytest.fixture(params=sorted(BACKENDS))
def queue_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[QueueFactory]:
    factory, release_resources = BACKENDS[request.param](tmp_path)
    try:
        yield factory
    finally:
        factory.clean_up()
        release_resources()


@pytest.fixture
def queue(queue_factory: QueueFactory) -> Queue:
    return queue_factory()


def _take(queue: Queue, *, timeout: float = 5.0) -> Delivery:
    delivery = queue.receive([JOBS], timeout=timeout)
    assert delivery is not None, f"nothing received within {timeout} s"
    return delivery


def test_publish_then_receive_returns_the_same_body(queue: Queue) -> None:
    queue.publish(JOBS, b"hello \x00 world")
    delivery = _take(queue)
    assert (delivery.queue, delivery.body, delivery.attempts) == (JOBS, b"hello \x00 world", 1)
    queue.ack(delivery)


def test_ack_removes_the_message(queue: Queue) -> None:
    queue.publish(JOBS, b"once")
    queue.ack(_take(queue))
    assert queue.depth(JOBS) == 0
    assert queue.receive([JOBS], timeout=0.2) is None


def test_message_of_a_dead_consumer_comes_back(queue_factory: QueueFactory) -> None:
    producer, first, second = queue_factory(), queue_factory(), queue_factory()
    producer.publish(JOBS, b"unfinished")
    assert _take(first).body == b"unfinished"
    first.close()  # dies without ack
    again = _take(second, timeout=queue_factory.redelivery_timeout)
    assert again.body == b"unfinished"
    assert again.attempts >= 2
    second.ack(again)


def test_release_increments_attempts(queue: Queue) -> None:
    queue.publish(JOBS, b"retry me")
    first = _take(queue)
    queue.release(first)
    second = _take(queue)
    queue.release(second)
    third = _take(queue)
    assert [first.attempts, second.attempts, third.attempts] == [1, 2, 3]
    assert third.body == b"retry me"
    queue.ack(third)


def test_release_with_delay_holds_the_message_back(queue: Queue) -> None:
    queue.publish(JOBS, b"later")
    delivery = _take(queue)
    released_at = time.monotonic()
    queue.release(delivery, delay=0.5)
    assert queue.receive([JOBS], timeout=0.3) is None
    again = _take(queue, timeout=5.0)
    assert time.monotonic() - released_at >= 0.45
    assert (again.body, again.attempts) == (b"later", 2)
    queue.ack(again)


def test_purge_returns_the_count_and_empties_the_queue(queue: Queue) -> None:
    queue.publish_many(JOBS, [f"m{i}".encode() for i in range(25)])
    assert queue.purge(JOBS) == 25
    assert queue.depth(JOBS) == 0
    assert queue.receive([JOBS], timeout=0.2) is None


def test_depth_counts_waiting_and_in_flight_messages(queue: Queue) -> None:
    assert queue.depth(JOBS) == 0
    queue.publish_many(JOBS, [b"a", b"b", b"c"])
    assert queue.depth(JOBS) == 3
    delivery = _take(queue)
    assert queue.depth(JOBS) == 3
    queue.ack(delivery)
    assert queue.depth(JOBS) == 2


def test_a_busy_queue_does_not_starve_another(queue: Queue) -> None:
    queue.publish_many(JOBS, [f"busy {i}".encode() for i in range(20)])
    queue.publish(OTHER, b"quiet")
    served = []
    for _ in range(3):
        delivery = queue.receive([JOBS, OTHER], timeout=5.0)
        assert delivery is not None
        served.append((delivery.queue, delivery.body))
        queue.ack(delivery)
    assert (OTHER, b"quiet") in served


def test_published_message_survives_its_publisher(queue_factory: QueueFactory) -> None:
    publisher = queue_factory()
    publisher.publish(JOBS, b"durable")
    publisher.close()
    consumer = queue_factory()
    delivery = _take(consumer)
    assert delivery.body == b"durable"
    consumer.ack(delivery)


def test_receive_on_an_empty_queue_returns_none_after_the_timeout(queue: Queue) -> None:
    queue.declare(JOBS)
    started = time.monotonic()
    assert queue.receive([JOBS], timeout=0.5) is None
    assert 0.45 <= time.monotonic() - started <= 1.5


def test_concurrent_consumers_receive_each_message_exactly_once(
    queue_factory: QueueFactory,
) -> None:
    expected = [f"message {i}".encode() for i in range(500)]
    queue_factory().publish_many(JOBS, expected)
    consumers = [queue_factory(), queue_factory()]
    received: list[list[bytes]] = [[], []]
    errors: list[BaseException] = []

    def consume(index: int) -> None:
        try:
            while (delivery := consumers[index].receive([JOBS], timeout=2.0)) is not None:
                received[index].append(delivery.body)
                consumers[index].ack(delivery)
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert not any(thread.is_alive() for thread in threads)
    everything = received[0] + received[1]
    assert len(everything) == len(set(everything)), "a message was received twice"
    assert sorted(everything) == sorted(expected), "a message was lost"
    assert queue_factory().depth(JOBS) == 0
