"""Works: one per import, counting expected, processed and failed objects so progress is visible.

A work, with its errors, is seen by its owner only (``WorkViewer``): the user it was submitted
as, and for a work of a registered connector, that connector's user too; administrators see
every work. Its errors name objects and properties, never values (``stixflow.stix.validate``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from stixflow.clock import now
from stixflow.db.base import Database, Tx
from stixflow.errors import NotFound

MAX_ERRORS = 100
PENDING, IN_PROGRESS, COMPLETE = "pending", "in_progress", "complete"
WORK_COLUMNS = (
    "id, name, source, user_id, status, expected, processed, failed, created_at, completed_at"
)


@dataclass(frozen=True)
class WorkViewer:
    """Who looks at works: ``user_id``'s own (and their connectors'), or all (``sees_all``)."""

    user_id: str | None
    sees_all: bool = False

    def clause(self) -> tuple[str, list[str]]:
        """A WHERE fragment over ``works`` keeping what this viewer may see."""
        if self.sees_all:
            return "1=1", []
        if self.user_id is None:
            return "1=0", []
        return (
            "(user_id = ? OR source IN (SELECT c.id FROM connectors c WHERE c.user_id = ?))",
            [self.user_id, self.user_id],
        )


EVERYONE = WorkViewer(None, sees_all=True)


@dataclass
class WorkError:
    object_id: str | None
    reason: str


@dataclass
class Work:
    id: str
    name: str
    source: str
    user_id: str | None
    status: str
    expected: int
    processed: int
    failed: int
    created_at: str
    completed_at: str | None
    errors: list[WorkError] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.processed + self.failed

    @property
    def progress(self) -> float:
        return 1.0 if self.expected == 0 else min(1.0, self.done / self.expected)


def refused_errors(object_ids: Sequence[str]) -> list[WorkError]:
    """The errors of objects a writer may not change (``WriteResult.refused``)."""
    return [
        WorkError(
            object_id,
            f"cannot update {object_id}: the stored object has markings the writer may not read",
        )
        for object_id in object_ids
    ]


class WorkStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, *, name: str, source: str, user_id: str | None, expected: int) -> Work:
        work = Work(
            id=str(uuid.uuid4()),
            name=name,
            source=source,
            user_id=user_id,
            status=PENDING if expected else COMPLETE,
            expected=expected,
            processed=0,
            failed=0,
            created_at=now(),
            completed_at=None if expected else now(),
        )
        with self.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO works ({WORK_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    work.id,
                    work.name,
                    work.source,
                    work.user_id,
                    work.status,
                    work.expected,
                    0,
                    0,
                    work.created_at,
                    work.completed_at,
                ),
            )
        return work

    def open(self, *, name: str, source: str, user_id: str | None, multipart: bool) -> Work:
        """A work a connector opens before sending anything: pending, nothing expected yet; a
        ``multipart`` one completes only once ``mark_processed`` was called."""
        work = self.create(name=name, source=source, user_id=user_id, expected=0)
        with self.db.transaction() as tx:
            tx.execute(
                f"UPDATE works SET status = '{PENDING}', completed_at = NULL, multipart = ? "
                "WHERE id = ?",
                (int(multipart), work.id),
            )
        work.status, work.completed_at = PENDING, None
        return work

    def extend(self, tx: Tx, work_id: str, *, expected: int, chunks: int = 0) -> int:
        """Expect ``expected`` more objects on a work; reserve ``chunks`` message numbers and
        return the first one (several bundles may be submitted into one connector work)."""
        tx.lock_keys([f"work:{work_id}"])
        seq = tx.scalar("SELECT seq_next FROM works WHERE id = ?", (work_id,))
        if seq is None:
            raise NotFound(f"no work {work_id}")
        tx.execute(
            "UPDATE works SET expected = expected + ?, seq_next = seq_next + ?, "
            f"status = CASE WHEN ? > 0 THEN '{IN_PROGRESS}' ELSE status END, "
            "completed_at = CASE WHEN ? > 0 THEN NULL ELSE completed_at END WHERE id = ?",
            (expected, chunks, expected, expected, work_id),
        )
        return int(seq)

    def mark_processed(
        self, work_id: str, *, message: str | None = None, in_error: bool = False
    ) -> Work:
        """The connector says it sent everything: the work completes once all is processed."""
        stamp = now()
        with self.db.transaction() as tx:
            found = tx.rowcount(
                "UPDATE works SET processed_at = ?, message = ?, "
                f"status = CASE WHEN processed + failed >= expected THEN '{COMPLETE}' "
                "ELSE status END, "
                "completed_at = CASE WHEN processed + failed >= expected THEN ? "
                "ELSE completed_at END WHERE id = ?",
                (stamp, message, stamp, work_id),
            )
            if not found:
                raise NotFound(f"no work {work_id}")
            if in_error and message:
                self.record(tx, work_id, processed=0, failed=0, errors=[WorkError(None, message)])
        work = self.get(work_id)
        assert work is not None
        return work

    def delete(self, work_id: str) -> bool:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM work_errors WHERE work_id = ?", (work_id,))
            tx.execute("DELETE FROM work_messages WHERE work_id = ?", (work_id,))
            return tx.rowcount("DELETE FROM works WHERE id = ?", (work_id,)) > 0

    def claim_message(self, tx: Tx, work_id: str, seq: int) -> bool:
        """True the first time a chunk is applied; False for a redelivered duplicate."""
        inserted = tx.rowcount(
            "INSERT INTO work_messages (work_id, seq) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (work_id, seq),
        )
        return inserted > 0

    def record(
        self,
        tx: Tx,
        work_id: str,
        *,
        processed: int,
        failed: int,
        errors: Sequence[WorkError] = (),
    ) -> None:
        stamp = now()
        done = (
            f"processed + failed + {int(processed) + int(failed)} >= expected "
            "AND (multipart = 0 OR processed_at IS NOT NULL)"
        )
        tx.execute(
            "UPDATE works SET processed = processed + ?, failed = failed + ?, "
            f"status = CASE WHEN {done} THEN '{COMPLETE}' ELSE '{IN_PROGRESS}' END, "
            f"completed_at = CASE WHEN {done} THEN ? ELSE NULL END WHERE id = ?",
            (processed, failed, stamp, work_id),
        )
        if errors:
            kept = int(tx.scalar("SELECT COUNT(*) FROM work_errors WHERE work_id = ?", (work_id,)))
            room = max(0, MAX_ERRORS - kept)
            tx.executemany(
                "INSERT INTO work_errors (work_id, object_id, reason, created_at) VALUES (?,?,?,?)",
                [(work_id, e.object_id, e.reason, stamp) for e in errors[:room]],
            )

    def reopen(self, tx: Tx, work_id: str, *, failed: int) -> None:
        """A dead-lettered chunk is retried: its objects stop counting as failed."""
        tx.execute(
            f"UPDATE works SET failed = failed - ?, status = '{IN_PROGRESS}', completed_at = NULL "
            "WHERE id = ?",
            (failed, work_id),
        )

    def get(self, work_id: str, *, viewer: WorkViewer = EVERYONE) -> Work | None:
        """The work with its errors; None when there is none ``viewer`` may see."""
        visible, params = viewer.clause()
        with self.db.read() as tx:
            row = tx.fetchone(
                f"SELECT {WORK_COLUMNS} FROM works WHERE id = ? AND {visible}", [work_id, *params]
            )
            if row is None:
                return None
            work = Work(*row)
            work.errors = [
                WorkError(object_id, reason)
                for object_id, reason in tx.fetchall(
                    "SELECT object_id, reason FROM work_errors WHERE work_id = ? "
                    "ORDER BY created_at LIMIT ?",
                    (work_id, MAX_ERRORS),
                )
            ]
        return work

    def list(
        self, *, source: str | None = None, limit: int = 50, viewer: WorkViewer = EVERYONE
    ) -> list[Work]:
        """The latest works ``viewer`` may see (of ``source`` only, when given)."""
        where, params = viewer.clause()
        if source:
            where, params = f"{where} AND source = ?", [*params, source]
        with self.db.read() as tx:
            found = tx.fetchall(
                f"SELECT {WORK_COLUMNS} FROM works WHERE {where} ORDER BY created_at DESC LIMIT ?",
                [*params, limit],
            )
        return [Work(*row) for row in found]
