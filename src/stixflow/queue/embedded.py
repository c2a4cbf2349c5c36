"""The embedded broker: durable queue tables inside the stixflow database itself.

A received message is leased, not removed: its ``available_at`` moves ``lease_seconds`` into the
future, so if its consumer dies the message becomes visible again by itself. ``ack`` deletes the
row; ``purge`` removes waiting messages, not those being handled. Queues are served in turn so a
busy one never starves a quiet one. Works on SQLite (writers serialised by the database) and
PostgreSQL (``SKIP LOCKED``).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence

from stixflow.db.base import Database, Tx
from stixflow.queue.base import Delivery, Queue

COMPRESSION = 1  # zlib level: bundles shrink ~6x, which keeps the WAL small
POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.1  # an idle poll is one read (``_ready``): cheap, so poll often


class EmbeddedQueue(Queue):
    def __init__(self, db: Database, *, lease_seconds: float = 60.0) -> None:
        self.db = db
        self.lease_seconds = lease_seconds
        self._last_queue = ""

    def declare(self, queue: str) -> None:
        """Queues are implicit rows; nothing to create."""

    def publish(self, queue: str, body: bytes) -> None:
        self.publish_many(queue, [body])

    def publish_many(self, queue: str, bodies: Sequence[bytes]) -> None:
        packed = [zlib.compress(body, COMPRESSION) for body in bodies]  # before the write lock
        now = time.time()
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT INTO queue_messages "
                "(queue, body, body_size, attempts, available_at, created_at) "
                "VALUES (?, ?, ?, 0, ?, ?)",
                [
                    (queue, body, len(raw), now, now)
                    for body, raw in zip(packed, bodies, strict=True)
                ],
            )

    def receive(self, queues: Sequence[str], *, timeout: float) -> Delivery | None:
        taken = self.receive_many(queues, limit=1, timeout=timeout)
        return taken[0] if taken else None

    def receive_many(self, queues: Sequence[str], *, limit: int, timeout: float) -> list[Delivery]:
        """Up to ``limit`` ready messages of one queue (the next in turn), leased together."""
        deadline = time.monotonic() + timeout
        pause = POLL_SECONDS
        while True:
            taken = self._claim(queues, max(1, limit))
            if taken or time.monotonic() >= deadline:
                return taken
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, MAX_POLL_SECONDS)

    def _ready(self, queues: Sequence[str], now: float) -> bool:
        """Whether any of ``queues`` has a ready message, seen without taking the write lock."""
        with self.db.read() as tx:
            return self._next_queue(tx, queues, now) is not None

    def _claim(self, queues: Sequence[str], limit: int) -> list[Delivery]:
        now = time.time()
        if not self._ready(queues, now):
            return []
        lock = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgresql" else ""
        with self.db.transaction() as tx:
            queue = self._next_queue(tx, queues, now)
            if queue is None:
                return []
            rows = tx.fetchall(
                "SELECT id, body, attempts FROM queue_messages "
                f"WHERE queue = ? AND available_at <= ? ORDER BY available_at, id LIMIT ?{lock}",
                (queue, now, limit),
            )
            tx.executemany(
                "UPDATE queue_messages SET attempts = attempts + 1, leased = 1, available_at = ? "
                "WHERE id = ?",
                [(now + self.lease_seconds, row[0]) for row in rows],
            )
        self._last_queue = queue
        return [
            Delivery(queue=queue, body=zlib.decompress(body), attempts=attempts + 1, tag=msg_id)
            for msg_id, body, attempts in rows
        ]

    def _next_queue(self, tx: Tx, queues: Sequence[str], now: float) -> str | None:
        """The first queue with a ready message after the one served last (no starvation)."""
        if not queues:
            ready = [
                row[0]
                for row in tx.fetchall(
                    "SELECT DISTINCT queue FROM queue_messages WHERE available_at <= ?", (now,)
                )
            ]
            return _after(sorted(ready), self._last_queue)
        names = sorted(set(queues))
        turn = [name for name in names if name > self._last_queue]
        for name in turn + [name for name in names if name <= self._last_queue]:
            if tx.fetchone(
                "SELECT 1 FROM queue_messages WHERE queue = ? AND available_at <= ? LIMIT 1",
                (name, now),
            ):
                return name
        return None

    def ack(self, delivery: Delivery) -> None:
        self.ack_many([delivery])

    def ack_many(self, deliveries: Sequence[Delivery]) -> None:
        with self.db.transaction() as tx:
            self._delete(tx, deliveries)

    def ack_within(self, db: Database, tx: Tx, deliveries: Sequence[Delivery]) -> bool:
        """The queue tables are in ``db``: the messages go with the work they carried."""
        if db is not self.db:
            return False
        self._delete(tx, deliveries)
        return True

    def _delete(self, tx: Tx, deliveries: Sequence[Delivery]) -> None:
        tx.executemany("DELETE FROM queue_messages WHERE id = ?", [(d.tag,) for d in deliveries])

    def release(self, delivery: Delivery, *, delay: float = 0.0) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE queue_messages SET available_at = ?, leased = 0 WHERE id = ?",
                (time.time() + delay, delivery.tag),
            )

    def extend(self, delivery: Delivery) -> None:
        """Keep a long-running message leased."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE queue_messages SET available_at = ? WHERE id = ?",
                (time.time() + self.lease_seconds, delivery.tag),
            )

    def purge(self, queue: str) -> int:
        with self.db.transaction() as tx:
            return tx.rowcount(
                "DELETE FROM queue_messages WHERE queue = ? AND leased = 0", (queue,)
            )

    def depth(self, queue: str) -> int:
        with self.db.read() as tx:
            return int(tx.scalar("SELECT COUNT(*) FROM queue_messages WHERE queue = ?", (queue,)))

    def size_bytes(self, queue: str) -> int:
        with self.db.read() as tx:
            return int(
                tx.scalar(
                    "SELECT COALESCE(SUM(body_size), 0) FROM queue_messages WHERE queue = ?",
                    (queue,),
                )
            )

    def delete(self, queue: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM queue_messages WHERE queue = ?", (queue,))

    def close(self) -> None:
        """The database is owned by the caller."""


def _after(names: list[str], last: str) -> str | None:
    """The first of sorted ``names`` after ``last``, else the first (round robin)."""
    after = [name for name in names if name > last]
    return (after or names or [None])[0]
