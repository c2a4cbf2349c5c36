"""The queue interface every broker implements, and how one is chosen from the settings.

Semantics shared by every back end (checked by ``tests/contract/test_queue.py``):

- ``publish`` returns only once the message is durable (survives a kill of every process).
- ``receive`` hands out one message at a time; until ``ack`` or ``release`` it is invisible to
  other consumers, and it comes back by itself if its consumer dies.
- ``receive_many`` hands out up to ``limit`` messages at once (a worker's batch), under the same
  rules; each is then acked or released on its own (``ack_many`` acks several at once). Settle
  a batch before taking the next: a broker may hold back what exceeds ``limit`` unsettled.
- ``release`` puts a message back with its delivery count raised, available after ``delay``.
- ``purge`` removes every ready message of a queue and returns how many were removed.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stixflow.db.base import Database, Tx


@dataclass
class Delivery:
    """One received message. ``attempts`` counts deliveries, this one included."""

    queue: str
    body: bytes
    attempts: int
    tag: Any


class Queue(abc.ABC):
    """A durable broker with named queues."""

    @abc.abstractmethod
    def declare(self, queue: str) -> None:
        """Create the queue if it does not exist (idempotent)."""

    @abc.abstractmethod
    def publish(self, queue: str, body: bytes) -> None:
        """Append one message; durable once this returns."""

    def publish_many(self, queue: str, bodies: Sequence[bytes]) -> None:
        for body in bodies:
            self.publish(queue, body)

    @abc.abstractmethod
    def receive(self, queues: Sequence[str], *, timeout: float) -> Delivery | None:
        """Take the next message from any of ``queues``; None if none came within ``timeout``."""

    def receive_many(self, queues: Sequence[str], *, limit: int, timeout: float) -> list[Delivery]:
        """Up to ``limit`` messages: waits up to ``timeout`` for the first, then takes only what
        is ready. Empty when none came."""
        first = self.receive(queues, timeout=timeout)
        if first is None:
            return []
        taken = [first]
        while len(taken) < limit:
            more = self.receive(queues, timeout=0)
            if more is None:
                break
            taken.append(more)
        return taken

    @abc.abstractmethod
    def ack(self, delivery: Delivery) -> None:
        """The message is done: remove it for good."""

    def ack_many(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            self.ack(delivery)

    def ack_within(self, db: Database, tx: Tx, deliveries: Sequence[Delivery]) -> bool:
        """Ack ``deliveries`` inside ``tx`` (a transaction of ``db``) when this broker keeps its
        messages in that database: they are then gone exactly when ``tx`` commits. False when
        it cannot (the caller acks after the commit)."""
        return False

    @abc.abstractmethod
    def release(self, delivery: Delivery, *, delay: float = 0.0) -> None:
        """Give the message back for another attempt (its ``attempts`` goes up)."""

    @abc.abstractmethod
    def purge(self, queue: str) -> int:
        """Remove every waiting message; return how many were removed."""

    @abc.abstractmethod
    def depth(self, queue: str) -> int:
        """Messages waiting (ready or in flight) in the queue."""

    @abc.abstractmethod
    def size_bytes(self, queue: str) -> int:
        """Bytes of the messages waiting (ready or in flight) in the queue, as published."""

    @abc.abstractmethod
    def delete(self, queue: str) -> None:
        """Remove the queue and its messages."""

    def keepalive(self) -> None:
        """Answer the broker between the parts of a long batch (heartbeats, messages it pushed
        ahead); nothing to do for a queue that pushes nothing."""
        return None

    @abc.abstractmethod
    def close(self) -> None: ...
