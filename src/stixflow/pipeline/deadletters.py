"""Dead letters: messages that kept failing, kept with their reason until retried or dropped."""

from __future__ import annotations

from dataclasses import dataclass

from stixflow.clock import now
from stixflow.db.base import Database
from stixflow.errors import InvalidBundle, NotFound
from stixflow.pipeline.works import WorkError, WorkStore
from stixflow.queue.base import Queue
from stixflow.queue.message import ImportMessage


@dataclass
class DeadLetter:
    id: int
    queue: str
    reason: str
    attempts: int
    work_id: str | None
    created_at: str
    objects: int


class DeadLetters:
    def __init__(self, db: Database, works: WorkStore) -> None:
        self.db = db
        self.works = works

    def add(self, *, queue: str, body: bytes, reason: str, attempts: int) -> None:
        """Keep a failed message; the objects it carried count as failed on its work."""
        message = _decode(body)
        reason = reason.replace("\x00", "\\0")  # an error may quote data; no back end stores NUL
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO dead_letters (queue, body, reason, attempts, work_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (queue, body, reason, attempts, message.work_id if message else None, now()),
            )
            if message is not None:
                self.works.record(
                    tx,
                    message.work_id,
                    processed=0,
                    failed=len(message.objects),
                    errors=[WorkError(None, f"message {message.seq} dead-lettered: {reason}")],
                )

    def list(self, *, limit: int = 100) -> list[DeadLetter]:
        with self.db.read() as tx:
            found = tx.fetchall(
                "SELECT id, queue, reason, attempts, work_id, created_at, body FROM dead_letters "
                "ORDER BY id LIMIT ?",
                (limit,),
            )
        return [DeadLetter(*row[:6], objects=_count(row[6])) for row in found]

    def retry(self, letter_id: int, queue: Queue) -> DeadLetter:
        """Put a dead letter back on its queue (publish first: a crash leaves a duplicate, never
        a loss, and applying a chunk twice is a no-op)."""
        with self.db.read() as tx:
            row = tx.fetchone(
                "SELECT id, queue, reason, attempts, work_id, created_at, body "
                "FROM dead_letters WHERE id = ?",
                (letter_id,),
            )
        if row is None:
            raise NotFound(f"no dead letter {letter_id}")
        letter = DeadLetter(*row[:6], objects=_count(row[6]))
        body = bytes(row[6])
        queue.publish(letter.queue, body)
        message = _decode(body)
        with self.db.transaction() as tx:
            if tx.rowcount("DELETE FROM dead_letters WHERE id = ?", (letter_id,)) and message:
                self.works.reopen(tx, message.work_id, failed=len(message.objects))
        return letter

    def count(self) -> int:
        with self.db.read() as tx:
            return int(tx.scalar("SELECT COUNT(*) FROM dead_letters"))


def _decode(body: bytes) -> ImportMessage | None:
    try:
        return ImportMessage.decode(bytes(body))
    except InvalidBundle:
        return None


def _count(body: bytes) -> int:
    message = _decode(body)
    return len(message.objects) if message else 0
