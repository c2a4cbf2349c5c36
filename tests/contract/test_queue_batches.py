"""``receive_many`` / ``ack_many`` (a worker's batch) on every queue back end: the same rules
as one message at a time: each message to one consumer, back in its queue if that consumer dies,
released or acked one by one."""

from __future__ import annotations

import time

from stixflow.queue.base import Delivery, Queue
from tests.contract.test_queue import (  # noqa: F401  (shared fixtures)
    JOBS,
    OTHER,
    QueueFactory,
    queue,
    queue_factory,
)


def _take_many(q: Queue, limit: int, *, queues: tuple[str, ...] = (JOBS,)) -> list[Delivery]:
    taken = q.receive_many(list(queues), limit=limit, timeout=5.0)
    assert taken, "nothing received within 5 s"
    return taken


def test_a_batch_takes_at_most_limit_in_order_then_the_rest(queue: Queue) -> None:  # noqa: F811
    bodies = [f"m{i}".encode() for i in range(7)]
    queue.publish_many(JOBS, bodies)
    first = _take_many(queue, 4)
    assert [d.body for d in first] == bodies[:4]
    assert {d.attempts for d in first} == {1}
    queue.ack_many(first)  # a worker acks its batch before it takes the next
    rest: list[Delivery] = []
    while len(rest) < 3:
        batch = _take_many(queue, 4)
        queue.ack_many(batch)
        rest += batch
    assert [d.body for d in rest] == bodies[4:]
    assert queue.depth(JOBS) == 0
    assert queue.receive_many([JOBS], limit=4, timeout=0.3) == []


def test_an_empty_queue_gives_an_empty_batch_after_the_timeout(queue: Queue) -> None:  # noqa: F811
    queue.declare(JOBS)
    assert queue.receive_many([JOBS], limit=10, timeout=0.3) == []


def test_a_batch_of_a_dead_consumer_comes_back_whole(
    queue_factory: QueueFactory,  # noqa: F811
) -> None:
    producer, first, second = queue_factory(), queue_factory(), queue_factory()
    bodies = [f"unfinished {i}".encode() for i in range(5)]
    producer.publish_many(JOBS, bodies)
    held = _take_many(first, 5)
    first.ack(held[0])
    first.close()  # dies holding the rest of its batch, unacked
    again: list[Delivery] = []
    deadline_batches = 20
    while len(again) < 4 and deadline_batches:
        again += second.receive_many([JOBS], limit=5, timeout=queue_factory.redelivery_timeout)
        deadline_batches -= 1
    assert sorted(d.body for d in again) == sorted(bodies[1:])
    assert all(d.attempts >= 2 for d in again)
    second.ack_many(again)
    assert second.receive_many([JOBS], limit=5, timeout=0.3) == []


def test_a_message_of_a_batch_released_comes_back_alone(queue: Queue) -> None:  # noqa: F811
    queue.publish_many(JOBS, [b"good", b"bad", b"good too"])
    taken: list[Delivery] = []
    while len(taken) < 3:
        taken += _take_many(queue, 3)
    bad = next(d for d in taken if d.body == b"bad")
    queue.release(bad)
    queue.ack_many([d for d in taken if d is not bad])
    retried = _take_many(queue, 3)
    assert [(d.body, d.attempts) for d in retried] == [(b"bad", 2)]
    queue.ack_many(retried)


def test_batches_serve_every_queue(queue: Queue) -> None:  # noqa: F811
    queue.publish_many(JOBS, [b"j"] * 3)
    queue.publish(OTHER, b"o")
    seen: list[Delivery] = []
    while len(seen) < 4:
        batch = _take_many(queue, 2, queues=(JOBS, OTHER))
        assert len(batch) <= 2
        queue.ack_many(batch)
        seen += batch
    assert sorted(d.queue for d in seen) == [JOBS, JOBS, JOBS, OTHER]


def _size_becomes(q: Queue, expected: int, timeout: float = 30.0) -> int:
    """RabbitMQ refreshes its queue statistics every few seconds: poll."""
    deadline = time.monotonic() + timeout
    size = q.size_bytes(JOBS)
    while size != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        size = q.size_bytes(JOBS)
    return size


def test_size_bytes_counts_the_bodies_waiting_and_in_flight(queue: Queue) -> None:  # noqa: F811
    queue.publish_many(JOBS, [b"x" * 1000, b"y" * 500])
    assert _size_becomes(queue, 1500) == 1500
    taken = _take_many(queue, 1)
    assert _size_becomes(queue, 1500) == 1500  # taken, not acked: still the queue's
    queue.ack_many(taken)
    assert _size_becomes(queue, 500) == 500


def test_acking_part_of_a_batch_leaves_the_rest_unacked(
    queue_factory: QueueFactory,  # noqa: F811
) -> None:
    producer, first, second = queue_factory(), queue_factory(), queue_factory()
    producer.publish_many(JOBS, [b"kept back", b"done 1", b"done 2"])
    held: list[Delivery] = []
    while len(held) < 3:
        held += _take_many(first, 3)
    first.ack_many([d for d in held if d.body != b"kept back"])  # not the oldest one
    first.close()  # dies with the oldest unacked
    again = second.receive_many([JOBS], limit=3, timeout=queue_factory.redelivery_timeout)
    assert [d.body for d in again] == [b"kept back"]
    second.ack_many(again)
