"""Applying messages: several in one transaction, counted exactly on their works.

A worker takes a batch of messages (``Queue.receive_many``) and applies it here in **one
transaction**; the broker is acked after the commit (the embedded broker, whose messages are
rows of the same database, in the transaction itself: ``Queue.ack_within``). Within the
batch, consecutive messages that can share a write (same work, user, source and mode, no
deletions, aliases that agree: typically pycti's one-object messages of one connector run) are
written with one ``upsert``; messages are applied in the order received, so a synchroniser's
order holds.

Counting is exact whatever crashes: the store write, the work counters and the mark that a
message was applied share the transaction. Our own chunks are marked by their number
(``claim_message``); pycti's messages carry none, so the digest of their body is recorded
(``claim_delivery``) and a redelivered one already applied is skipped.

A connector's message under the work of an enrichment job it was given is that enrichment's
result: the object it was asked to enrich wins over the stored copy on equal ``modified``
(``connectors.enrichment.enriched_object``, ``store.sql``).

A message whose objects fail to write for a reason in the data fails alone (``ObjectWriter``
writes the group again one by one, each object in a savepoint). Any other error fails the whole
batch; the worker then applies its messages one at a time (``apply_message``), so a message
that cannot be applied is retried or dead-lettered alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from stixflow.access.principal import writer_access
from stixflow.clock import now
from stixflow.connectors.bridge import OPENCTI_KIND
from stixflow.connectors.enrichment import enriched_object
from stixflow.db.base import Tx
from stixflow.pipeline.works import WorkError
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.validate import Validator
from stixflow.store.base import Access, Provenance, StixObject
from stixflow.store.prepared import PreparedWrite
from stixflow.worker.process import Checked, ObjectWriter, Outcome, check_objects

SYNC_KIND = "sync"


@dataclass
class Pending:
    """A decoded message to apply; ``body`` and ``redelivered`` identify a pycti message."""

    message: ImportMessage
    body: bytes = b""
    redelivered: bool = False

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:32]


@dataclass
class _Group:
    """Consecutive messages written together."""

    items: list[Pending]
    checked: list[Checked]
    aliases: dict[str, str]

    @property
    def first(self) -> ImportMessage:
        return self.items[0].message

    def valid(self, applied: Sequence[bool]) -> list[StixObject]:
        return [
            obj
            for checked, keep in zip(self.checked, applied, strict=True)
            if keep
            for obj in checked.valid
        ]


@dataclass
class _Tally:
    processed: int = 0
    failed: int = 0
    errors: list[WorkError] = field(default_factory=list)


def apply_message(
    runtime: Runtime,
    message: ImportMessage,
    validator: Validator,
    *,
    body: bytes = b"",
    redelivered: bool = False,
    before_commit: Callable[[Tx], None] | None = None,
) -> Outcome:
    """One message in its own transaction (``body``: the raw pycti message, for its digest)."""
    pending = [Pending(message, body, redelivered)]
    return apply_batch(runtime, pending, validator, before_commit=before_commit)


def apply_batch(
    runtime: Runtime,
    batch: Sequence[Pending],
    validator: Validator,
    *,
    before_commit: Callable[[Tx], None] | None = None,
) -> Outcome:
    """Apply ``batch`` in one transaction; the totals over all its messages. ``before_commit``
    runs last in the transaction (the embedded broker acks the batch there)."""
    groups = _groups(batch, [check_objects(p.message.objects, validator) for p in batch])
    seen_at = now()
    prepared = [  # outside the write lock; dropped below if a message turns out a duplicate
        PreparedWrite(group.valid([True] * len(group.items)), seen_at=seen_at) for group in groups
    ]
    tallies: dict[str, _Tally] = {}
    duplicates = 0
    with runtime.db.transaction() as tx:
        runtime.works.record_deliveries(
            tx, [(p.message.work_id, p.digest) for p in batch if _first_pycti(p)]
        )
        accesses: dict[str | None, Access] = {}
        for group, ready in zip(groups, prepared, strict=True):
            applied = [_claim(runtime, tx, item) for item in group.items]
            duplicates += applied.count(False)
            if not any(applied):
                continue
            user = group.first.user_id
            if user not in accesses:
                accesses[user] = writer_access(tx, user)
            tally = tallies.setdefault(group.first.work_id, _Tally())
            _write(runtime, tx, group, applied, accesses[user], seen_at, ready, tally)
        for work_id in sorted(tallies):  # one order for every worker: no deadlock on works
            tally = tallies[work_id]
            runtime.works.record(
                tx, work_id, processed=tally.processed, failed=tally.failed, errors=tally.errors
            )
        if before_commit is not None:
            before_commit(tx)
    processed = sum(t.processed for t in tallies.values())
    failed = sum(t.failed for t in tallies.values())
    return Outcome(processed, failed, duplicate=duplicates == len(batch))


def _claim(runtime: Runtime, tx: Tx, item: Pending) -> bool:
    """Whether ``item`` is applied now (False: it was already); extends a pycti work that got
    more objects in one message than the one pycti expected."""
    message = item.message
    if message.kind != OPENCTI_KIND:
        return runtime.works.claim_message(tx, message.work_id, message.seq)
    if (  # a first delivery was recorded with the others (``record_deliveries``)
        item.body
        and item.redelivered
        and not runtime.works.claim_delivery(tx, message.work_id, item.digest, redelivered=True)
    ):
        return False
    if len(message.objects) > 1:  # pycti expected one object per message
        runtime.works.extend(tx, message.work_id, expected=len(message.objects) - 1)
    return True


def _first_pycti(item: Pending) -> bool:
    return item.message.kind == OPENCTI_KIND and bool(item.body) and not item.redelivered


def _write(
    runtime: Runtime,
    tx: Tx,
    group: _Group,
    applied: list[bool],
    access: Access,
    seen_at: str,
    prepared: PreparedWrite,
    tally: _Tally,
) -> None:
    message = replace(group.first, aliases=group.aliases)
    provenance = Provenance(seen_at=seen_at, user_id=message.user_id, source=message.source)
    objects = group.valid(applied)
    enriched = (
        None if message.kind == SYNC_KIND else enriched_object(tx, message.work_id, message.source)
    )
    writer = ObjectWriter(runtime, tx, message, provenance, access, enriched=enriched)
    write_errors = writer.write(objects, prepared if all(applied) else None)
    for object_id in message.deletions:
        runtime.store.delete_in(
            tx, object_id, provenance=provenance, keep_shared=True, writer=access
        )
    checked = [c for c, keep in zip(group.checked, applied, strict=True) if keep]
    tally.processed += len(objects) - len(write_errors) + len(message.deletions)
    tally.failed += sum(len(c.errors) for c in checked) + len(write_errors)
    for one in checked:
        tally.errors.extend(one.errors)
    tally.errors.extend(write_errors)
    for one in checked:
        tally.errors.extend(one.notes)
    tally.errors.extend(writer.notes)


def _groups(batch: Sequence[Pending], checked: Sequence[Checked]) -> list[_Group]:
    groups: list[_Group] = []
    for item, result in zip(batch, checked, strict=True):
        last = groups[-1] if groups else None
        if last is not None and _joins(last, item.message):
            last.items.append(item)
            last.checked.append(result)
            last.aliases.update(item.message.aliases)
        else:
            groups.append(_Group([item], [result], dict(item.message.aliases)))
    return groups


def _joins(group: _Group, message: ImportMessage) -> bool:
    """Whether ``message`` can be written with ``group`` (same write, order unchanged)."""
    first = group.first
    same = (
        message.kind == first.kind
        and message.work_id == first.work_id
        and message.user_id == first.user_id
        and message.source == first.source
        and message.overwrite == first.overwrite
    )
    return (
        same
        and message.kind != SYNC_KIND
        and not message.deletions
        and not first.deletions
        and all(group.aliases.get(key, value) == value for key, value in message.aliases.items())
    )
