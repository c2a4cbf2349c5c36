"""Works: one per import, counting expected, processed and failed objects so progress is visible.

A work, with its errors, is seen by its owner only (``WorkViewer``): the user it was submitted
as, and for a work of a registered connector, that connector's user too; administrators see
every work. Its errors name objects and properties, never values (``stixflow.stix.validate``).

Statuses: ``pending`` (nothing processed yet), ``in_progress``, ``complete`` (every expected
object processed or failed) and ``failed`` (the work cannot complete: its submit stopped
half-way, or it made no progress for too long with nothing of it left in its queue; ``reason``
says which, see ``pipeline.reaper``). A failed work that does reach its count after all (the
rest of its messages were only slow) becomes complete.

While a submit queues a work's chunks, ``submitting`` counts the submits under way and
``submit_updated_at`` is their heartbeat (renewed at every batch of chunks queued, with
``queued``, the objects queued so far); ``progress_at`` is the last time anything happened
to the work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from stixflow.clock import now
from stixflow.db.base import Database, Tx
from stixflow.errors import NotFound
from stixflow.stix.repair import REPAIRED, WARNING

MAX_ERRORS = 100
PENDING, IN_PROGRESS, COMPLETE, FAILED = "pending", "in_progress", "complete", "failed"
#: Statuses a work leaves by itself (it completes) or through the reaper (it fails).
ACTIVE = (PENDING, IN_PROGRESS)
WORK_COLUMNS = (
    "id, name, source, user_id, status, expected, processed, failed, created_at, completed_at, "
    "submitting, queued, submit_updated_at, progress_at, reason"
)
NUL = "\x00"


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
    """An object that failed, or (``is_repair``) a note of what was repaired in one that did not."""

    object_id: str | None
    reason: str

    @property
    def is_repair(self) -> bool:
        """A note, not a failure: a repair, or a warning (references to objects not held)."""
        return self.reason.startswith((REPAIRED, WARNING))


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
    submitting: int = 0
    queued: int = 0
    submit_updated_at: str | None = None
    progress_at: str | None = None
    reason: str | None = None
    errors: list[WorkError] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.processed + self.failed

    @property
    def progress(self) -> float:
        return 1.0 if self.expected == 0 else min(1.0, self.done / self.expected)

    @property
    def finished(self) -> bool:
        """Complete or failed: nothing more will happen to it by itself."""
        return self.status not in ACTIVE


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

    def create(
        self,
        *,
        name: str,
        source: str,
        user_id: str | None,
        expected: int,
        submitting: bool = False,
    ) -> Work:
        """A new work; ``submitting``: its chunks are about to be queued (``queued`` and
        ``end_submit`` follow)."""
        stamp = now()
        work = Work(
            id=str(uuid.uuid4()),
            name=name.replace(NUL, ""),
            source=source,
            user_id=user_id,
            status=PENDING if expected else COMPLETE,
            expected=expected,
            processed=0,
            failed=0,
            created_at=stamp,
            completed_at=None if expected else stamp,
            submitting=int(submitting),
            submit_updated_at=stamp if submitting else None,
            progress_at=stamp,
        )
        with self.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO works ({WORK_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    work.submitting,
                    0,
                    work.submit_updated_at,
                    work.progress_at,
                    None,
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
            f"status = CASE WHEN ? > 0 AND status <> '{FAILED}' THEN '{IN_PROGRESS}' "
            "ELSE status END, "
            f"completed_at = CASE WHEN ? > 0 AND status <> '{FAILED}' THEN NULL "
            "ELSE completed_at END WHERE id = ?",
            (expected, chunks, expected, expected, work_id),
        )
        return int(seq)

    # -- the submit's heartbeat ---------------------------------------------------------------

    def begin_submit(self, tx: Tx, work_id: str) -> None:
        """One more submit queues chunks into an existing work (a connector's)."""
        stamp = now()
        tx.execute(
            "UPDATE works SET submitting = submitting + 1, submit_updated_at = ?, progress_at = ? "
            "WHERE id = ?",
            (stamp, stamp, work_id),
        )

    def queued_more(self, work_id: str, count: int) -> None:
        """``count`` more objects are on the queue: the submit is alive."""
        stamp = now()
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE works SET queued = queued + ?, submit_updated_at = ?, progress_at = ? "
                "WHERE id = ?",
                (count, stamp, stamp, work_id),
            )

    def end_submit(self, work_id: str) -> None:
        """A submit queued everything it had."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE works SET submitting = CASE WHEN submitting > 0 THEN submitting - 1 "
                "ELSE 0 END WHERE id = ?",
                (work_id,),
            )

    # -- failing ------------------------------------------------------------------------------

    def fail(
        self, work_id: str, reason: str, *, only_if: str = "", params: Sequence[object] = ()
    ) -> bool:
        """Mark an unfinished work failed with ``reason``; False when it was finished already
        or ``only_if`` (an SQL condition, checked in the same statement) does not hold."""
        guard = f" AND ({only_if})" if only_if else ""
        with self.db.transaction() as tx:
            changed = tx.rowcount(
                f"UPDATE works SET status = '{FAILED}', reason = ?, completed_at = ?, "
                f"submitting = 0 WHERE id = ? AND status IN ('{PENDING}', '{IN_PROGRESS}')"
                f"{guard}",
                (_printable(reason), now(), work_id, *params),
            )
        return changed > 0

    def interrupt_source(self, tx: Tx, source: str, reason: str) -> int:
        """End every unfinished work of ``source`` with data under way (its connector was reset:
        what it had queued is purged and will never be counted), failed with ``reason``; how
        many were ended. A work nothing was sent to yet (a listen job the connector took) is
        left to the connector."""
        return tx.rowcount(
            f"UPDATE works SET status = '{FAILED}', reason = ?, completed_at = ?, submitting = 0 "
            f"WHERE source = ? AND status IN ('{PENDING}', '{IN_PROGRESS}') AND expected > 0",
            (_printable(reason), now(), source),
        )

    def stalled_submits(self, before: str) -> list[Work]:
        """Unfinished works whose submit is still under way but gave no sign since ``before``."""
        return self._select(
            f"status IN ('{PENDING}', '{IN_PROGRESS}') AND submitting > 0 "
            "AND submit_updated_at < ?",
            (before,),
        )

    def stalled(self, before: str) -> list[Work]:
        """Unfinished works, fully queued, with objects still to process and no progress since
        ``before``."""
        return self._select(
            f"status IN ('{PENDING}', '{IN_PROGRESS}') AND submitting = 0 "
            "AND processed + failed < expected AND COALESCE(progress_at, created_at) < ?",
            (before,),
        )

    def _select(self, where: str, params: Sequence[object]) -> list[Work]:
        with self.db.read() as tx:
            found = tx.fetchall(f"SELECT {WORK_COLUMNS} FROM works WHERE {where}", params)
        return [Work(*row) for row in found]

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
            tx.execute("DELETE FROM work_deliveries WHERE work_id = ?", (work_id,))
            tx.execute("DELETE FROM enrichment_jobs WHERE work_id = ?", (work_id,))
            return tx.rowcount("DELETE FROM works WHERE id = ?", (work_id,)) > 0

    def claim_message(self, tx: Tx, work_id: str, seq: int) -> bool:
        """True the first time a chunk is applied; False for a redelivered duplicate."""
        inserted = tx.rowcount(
            "INSERT INTO work_messages (work_id, seq) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (work_id, seq),
        )
        return inserted > 0

    def claim_delivery(self, tx: Tx, work_id: str, digest: str, *, redelivered: bool) -> bool:
        """Whether to apply a pycti message (``digest`` of its body) to its work: False only
        when it was delivered before (``redelivered``) and applied already (a crash came between
        the commit and the ack). A first delivery is always applied: two identical messages in
        one work (the same bundle sent twice) are both counted, as pycti expected both."""
        inserted = tx.rowcount(
            "INSERT INTO work_deliveries (work_id, digest) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (work_id, digest),
        )
        return inserted > 0 or not redelivered

    def record_deliveries(self, tx: Tx, deliveries: Sequence[tuple[str, str]]) -> None:
        """Mark first deliveries (``(work_id, digest)``) applied, all in one statement: a
        first delivery is applied whatever is recorded (see ``claim_delivery``)."""
        tx.executemany(
            "INSERT INTO work_deliveries (work_id, digest) VALUES (?, ?) ON CONFLICT DO NOTHING",
            deliveries,
        )

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
            "UPDATE works SET processed = processed + ?, failed = failed + ?, progress_at = ?, "
            f"status = CASE WHEN {done} THEN '{COMPLETE}' WHEN status = '{FAILED}' "
            f"THEN '{FAILED}' ELSE '{IN_PROGRESS}' END, "
            f"completed_at = CASE WHEN {done} THEN ? WHEN status = '{FAILED}' "
            "THEN completed_at ELSE NULL END WHERE id = ?",
            (processed, failed, stamp, stamp, work_id),
        )
        if errors:
            kept = int(tx.scalar("SELECT COUNT(*) FROM work_errors WHERE work_id = ?", (work_id,)))
            room = max(0, MAX_ERRORS - kept)
            tx.executemany(
                "INSERT INTO work_errors (work_id, object_id, reason, created_at) VALUES (?,?,?,?)",
                [
                    (work_id, _printable(e.object_id), _printable(e.reason), stamp)
                    for e in errors[:room]
                ],
            )

    def reopen(self, tx: Tx, work_id: str, *, failed: int) -> None:
        """A dead-lettered chunk is retried: its objects stop counting as failed."""
        tx.execute(
            "UPDATE works SET failed = failed - ?, progress_at = ?, "
            f"status = CASE WHEN status = '{FAILED}' THEN status ELSE '{IN_PROGRESS}' END, "
            f"completed_at = CASE WHEN status = '{FAILED}' THEN completed_at ELSE NULL END "
            "WHERE id = ?",
            (failed, now(), work_id),
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


def _printable(text: str | None) -> str | None:
    """``text`` with NUL characters shown as ``\\0`` (PostgreSQL text cannot hold them)."""
    return None if text is None else text.replace(NUL, "\\0")
