"""The queue registry: which push queues exist and which source each belongs to.

Workers read it to know what to consume; purge and depth go through it for every back end.
"""

from __future__ import annotations

from stixflow.clock import now
from stixflow.db.base import Database
from stixflow.queue.base import Queue
from stixflow.queue.message import queue_name


class QueueRegistry:
    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure(self, queue: Queue, source: str) -> str:
        """Declare the push queue of a source and record it; return its name."""
        name = queue_name(source)
        queue.declare(name)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO queues (name, source, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO NOTHING",
                (name, source, now()),
            )
        return name

    def names(self) -> list[str]:
        with self.db.read() as tx:
            return [row[0] for row in tx.fetchall("SELECT name FROM queues ORDER BY name")]

    def forget(self, queue: Queue, source: str) -> None:
        name = queue_name(source)
        queue.delete(name)
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM queues WHERE name = ?", (name,))
