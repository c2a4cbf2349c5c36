"""Synchroniser messages: overwrite (perfect synchronisation) and deletions unless shared."""

from __future__ import annotations

import uuid

from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.validate import default_validator
from stixflow.store.base import Access
from stixflow.worker.batch import apply_message
from tests.support import malware


def message(runtime: Runtime, source: str, **fields: object) -> ImportMessage:
    objects = fields.pop("objects", [])
    deletions = fields.pop("deletions", [])
    work = runtime.works.create(
        name="t",
        source=source,
        user_id=None,
        expected=len(objects) + len(deletions),  # type: ignore[arg-type]
    )
    return ImportMessage(
        work_id=work.id,
        seq=0,
        source=source,
        objects=objects,
        deletions=deletions,  # type: ignore[arg-type]
        kind="sync",
        **fields,  # type: ignore[arg-type]
    )


def test_message_round_trip_keeps_the_new_fields() -> None:
    sent = ImportMessage(
        work_id="w", seq=1, source="s", objects=[], kind="sync", overwrite=True, deletions=["x"]
    )
    assert ImportMessage.decode(sent.encode()) == sent
    old = ImportMessage.decode(b'{"work_id": "w", "seq": 0, "source": "s", "objects": []}')
    assert (old.kind, old.overwrite, old.deletions) == ("bundle", False, [])


def test_overwrite_replaces_where_merge_keeps(runtime: Runtime) -> None:
    validator = default_validator()
    local = malware("m", labels=["local"], modified="2030-01-01T00:00:00.000Z")
    remote = {**local, "labels": ["remote"], "modified": "2024-01-01T00:00:00.000Z"}
    apply_message(runtime, message(runtime, "import", objects=[local]), validator)

    apply_message(runtime, message(runtime, "sync-a", objects=[remote]), validator)
    merged = runtime.store.get(local["id"], access=Access.everything())
    assert merged is not None and merged.data["modified"] == local["modified"]

    apply_message(runtime, message(runtime, "sync-a", objects=[remote], overwrite=True), validator)
    replaced = runtime.store.get(local["id"], access=Access.everything())
    assert replaced is not None and replaced.data == remote


def test_deletion_spares_what_another_source_contributed(runtime: Runtime) -> None:
    validator = default_validator()
    mine, shared = malware(f"mine {uuid.uuid4()}"), malware(f"shared {uuid.uuid4()}")
    apply_message(runtime, message(runtime, "sync-a", objects=[mine, shared]), validator)
    apply_message(runtime, message(runtime, "other", objects=[shared]), validator)

    outcome = apply_message(
        runtime, message(runtime, "sync-a", deletions=[mine["id"], shared["id"]]), validator
    )

    assert outcome.written == 2
    assert runtime.store.get(mine["id"], access=Access.everything()) is None
    kept = runtime.store.get(shared["id"], access=Access.everything())
    assert kept is not None and kept.sources == ["other"]
    apply_message(runtime, message(runtime, "sync-a", deletions=[shared["id"]]), validator)
    assert runtime.store.get(shared["id"], access=Access.everything()) is not None
    apply_message(runtime, message(runtime, "other", deletions=[shared["id"]]), validator)
    assert runtime.store.get(shared["id"], access=Access.everything()) is None  # none left
