"""Applying one message: validate each object, write the valid ones, count both on the work.

The message's user writes with what they may read (``writer_access``): an object whose stored
version they cannot read whole is refused alone and counted failed.

The store write, the work counters and the "this chunk was applied" mark share one transaction,
so a message redelivered after a crash is applied once; the broker is acked only after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from stixflow.access.principal import writer_access
from stixflow.clock import now
from stixflow.connectors.bridge import OPENCTI_KIND
from stixflow.pipeline.works import WorkError, refused_errors
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.repair import repair
from stixflow.stix.validate import Validator
from stixflow.store.base import Provenance, StixObject
from stixflow.store.prepared import PreparedWrite


@dataclass
class Outcome:
    written: int
    rejected: int
    duplicate: bool = False


def split_valid(
    objects: list[StixObject], validator: Validator
) -> tuple[list[StixObject], list[WorkError]]:
    valid, errors = [], []
    for obj in objects:
        reason = validator.check(obj) if isinstance(obj, dict) else "not a JSON object"
        if reason is not None and isinstance(obj, dict):
            repaired = repair(obj)
            if repaired is not None and validator.check(repaired) is None:
                obj, reason = repaired, None
        if reason is None:
            valid.append(obj)
        else:
            object_id = obj.get("id") if isinstance(obj, dict) else None
            errors.append(WorkError(object_id if isinstance(object_id, str) else None, reason))
    return valid, errors


def apply_message(runtime: Runtime, message: ImportMessage, validator: Validator) -> Outcome:
    valid, errors = split_valid(message.objects, validator)
    provenance = Provenance(seen_at=now(), user_id=message.user_id, source=message.source)
    prepared = PreparedWrite(valid, seen_at=provenance.seen_at)  # outside the write lock
    with runtime.db.transaction() as tx:
        if message.kind == OPENCTI_KIND:
            if len(message.objects) > 1:  # pycti expected one object per message
                runtime.works.extend(tx, message.work_id, expected=len(message.objects) - 1)
        elif not runtime.works.claim_message(tx, message.work_id, message.seq):
            return Outcome(0, 0, duplicate=True)
        writer = writer_access(tx, message.user_id)
        written = runtime.store.upsert(
            tx,
            valid,
            provenance=provenance,
            aliases=message.aliases,
            overwrite=message.overwrite,
            prepared=prepared,
            writer=writer,
        )
        for object_id in message.deletions:
            runtime.store.delete_in(
                tx, object_id, provenance=provenance, keep_shared=True, writer=writer
            )
        errors.extend(refused_errors(written.refused))
        processed = len(valid) - len(written.refused) + len(message.deletions)
        runtime.works.record(
            tx, message.work_id, processed=processed, failed=len(errors), errors=errors
        )
    return Outcome(processed, len(errors))
