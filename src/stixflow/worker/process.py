"""Checking a message's objects and writing the valid ones (``worker.batch`` applies messages).

The message's user writes with what they may read (``writer_access``): an object whose stored
version they cannot read whole is refused alone and counted failed.

One bad object fails alone: checking an object turns whatever it raises into that object's
error, and when the write of the valid objects fails for a reason in the data (``DATA_ERRORS``:
the database refused a value, or the object could not be serialised or merged) they are written
again one by one, each in a savepoint of the same transaction, so the one that fails is undone
alone and counted as failed. Transient back-end errors still fail the whole message, to be
retried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from stixflow.db.base import Tx
from stixflow.errors import DataRefused, InvalidInput, StixflowError
from stixflow.pipeline.works import WorkError, refused_errors
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.fixes import apply_fixes
from stixflow.stix.limits import depth_reason, too_deep
from stixflow.stix.repair import nul_note, remove_nul, repair_note
from stixflow.stix.validate import Validator
from stixflow.store.base import Access, Provenance, StixObject
from stixflow.store.missing import missing_note
from stixflow.store.prepared import PreparedWrite

log = logging.getLogger("stixflow.worker")

#: Errors of a write that come from the data written, not from the back end's health.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    DataRefused,
    InvalidInput,
    TypeError,
    ValueError,
    OverflowError,
    RecursionError,
)
MAX_REASON = 300


@dataclass
class Outcome:
    written: int
    rejected: int
    duplicate: bool = False


@dataclass
class Checked:
    """A message's objects sorted out: the ones to write, the refused ones, repair notes."""

    valid: list[StixObject] = field(default_factory=list)
    errors: list[WorkError] = field(default_factory=list)
    notes: list[WorkError] = field(default_factory=list)


def check_objects(objects: Sequence[object], validator: Validator) -> Checked:
    checked = Checked()
    for obj in objects:
        try:
            _check_one(obj, validator, checked)
        except Exception as exc:  # whatever a hostile object makes a checker raise
            log.warning("checking %s raised %r", _id_of(obj), exc)
            checked.errors.append(WorkError(_id_of(obj), _describe("could not be checked", exc)))
    return checked


def _check_one(obj: object, validator: Validator, checked: Checked) -> None:
    if not isinstance(obj, dict):
        checked.errors.append(WorkError(None, "not a JSON object"))
        return
    if too_deep(obj):  # before anything that walks the object recursively
        checked.errors.append(WorkError(_id_of(obj), depth_reason()))
        return
    obj, paths = remove_nul(obj)
    reason = validator.check(obj)
    fixes: list[str] = []
    if reason is not None:
        repaired = apply_fixes(obj)
        if repaired is not None:
            after = validator.check(repaired[0])
            if after is None:
                (obj, fixes), reason = repaired, None
            else:  # what still stops it once the repairable defects are set aside
                reason = f"{after} (not repairable; repairable: {'; '.join(repaired[1])})"
    if reason is not None:
        checked.errors.append(WorkError(_id_of(obj), reason))
        return
    if paths:
        checked.notes.append(WorkError(_id_of(obj), nul_note(paths)))
    if fixes:
        checked.notes.append(WorkError(_id_of(obj), repair_note(fixes)))
    checked.valid.append(obj)


class ObjectWriter:
    """Writes a message's valid objects: all at once, or one by one when that fails."""

    def __init__(
        self,
        runtime: Runtime,
        tx: Tx,
        message: ImportMessage,
        provenance: Provenance,
        access: Access,
        *,
        enriched: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.tx = tx
        self.message = message
        self.provenance = provenance
        self.access = access
        #: The object the message is the enrichment of (its copy wins on equal ``modified``).
        self.enriched = enriched
        #: Notes of the writes: references to objects not held yet.
        self.notes: list[WorkError] = []

    def write(self, objects: list[StixObject], prepared: PreparedWrite | None) -> list[WorkError]:
        """Write ``objects``; the errors of those that could not be written (undone alone) or
        that the writer may not change (``refused_errors``)."""
        if not objects:
            return []
        try:
            with self.tx.savepoint():
                return refused_errors(self._upsert(objects, prepared))
        except DATA_ERRORS as exc:
            log.warning(
                "work %s: writing %d objects failed (%r): one by one now",
                self.message.work_id,
                len(objects),
                exc,
            )
        self.notes.clear()  # those of the undone write
        return self._one_by_one(objects)

    def _one_by_one(self, objects: list[StixObject]) -> list[WorkError]:
        errors = []
        for obj in objects:
            try:
                with self.tx.savepoint():
                    errors.extend(refused_errors(self._upsert([obj], None)))
            except DATA_ERRORS as exc:
                errors.append(WorkError(_id_of(obj), _describe("could not be written", exc)))
        return errors

    def _upsert(self, objects: list[StixObject], prepared: PreparedWrite | None) -> list[str]:
        """Write ``objects``; the ids of those the writer may not change."""
        result = self.runtime.store.upsert(
            self.tx,
            objects,
            provenance=self.provenance,
            aliases=self.message.aliases,
            overwrite=self.message.overwrite,
            prepared=prepared,
            writer=self.access,
            enriched=() if self.enriched is None else (self.enriched,),
        )
        if result.missing:
            self.notes.append(WorkError(None, missing_note(result.missing)))
        return result.refused


def _id_of(obj: object) -> str | None:
    object_id = obj.get("id") if isinstance(obj, dict) else None
    return object_id if isinstance(object_id, str) else None


def _describe(what: str, exc: BaseException) -> str:
    detail = str(exc) if isinstance(exc, StixflowError) else f"{type(exc).__name__}: {exc}"
    reason = f"{what}: {detail}"
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
