"""An object's body leaves out what its row's columns hold, and every read puts it back."""

from __future__ import annotations

import uuid

import orjson

from stixflow.clock import now
from stixflow.runtime import Runtime
from stixflow.store import compact, events, rows
from stixflow.store.base import Access, Provenance
from tests.support import malware, relationship, sdo

EVERYTHING = Access.everything()


def _objects() -> list[dict]:
    author = sdo("identity", "ACME", identity_class="organization")
    family = malware("Emotet", created_by_ref=author["id"])
    uses = relationship(family["id"], author["id"], created_by_ref=author["id"])
    sighting = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": f"sighting--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "sighting_of_ref": family["id"],
        "where_sighted_refs": [author["id"]],
    }
    # a custom object whose "created" is no string: a column would give back "7", so it stays
    odd = {"type": "x-odd", "id": f"x-odd--{uuid.uuid4()}", "created": 7, "name": "odd"}
    return [author, family, uses, sighting, odd]


def test_a_read_gives_back_the_object_written_whole(runtime: Runtime) -> None:
    objects = _objects()
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, objects, provenance=Provenance(now(), "u1", "feed"))
    for obj in objects:
        got = runtime.store.get(obj["id"], access=EVERYTHING)
        assert got is not None and got.data == obj
    author, family, uses, sighting, odd = objects
    assert "source_ref" not in runtime.store.get(sighting["id"], access=EVERYTHING).data
    assert runtime.store.relationships(family["id"], access=EVERYTHING) == [uses, sighting]
    assert [e.data for e in events.read_after(runtime.db, 0)] == objects

    with runtime.db.read() as tx:
        stored = dict(tx.fetchall("SELECT id, data FROM objects"))
    left_out = {"id", "type", "spec_version", "created", "modified", "created_by_ref"}
    assert compact.load(stored[uses["id"]]) == {
        k: v for k, v in uses.items() if k not in left_out | {"source_ref", "target_ref"}
    }
    assert compact.load(stored[sighting["id"]])["sighting_of_ref"] == family["id"]
    assert compact.load(stored[odd["id"]]) == {"created": 7, "name": "odd"}
    whole = sum(len(compact.dump(obj)) for obj in objects)
    assert sum(len(stored[obj["id"]]) for obj in objects) < whole * 0.75


def test_an_update_and_a_deletion_log_the_version_they_replace_whole(runtime: Runtime) -> None:
    edge = _objects()[2]
    newer = {**edge, "description": "seen again", "modified": "2025-01-01T00:00:00.000Z"}
    for version in (edge, newer):
        with runtime.db.transaction() as tx:
            runtime.store.upsert(tx, [version], provenance=Provenance(now(), "u1", "feed"))
    assert runtime.store.delete(edge["id"])
    log = events.read_after(runtime.db, 0)
    assert [(e.kind, e.data) for e in log] == [
        ("create", edge),
        ("update", newer),
        ("delete", newer),
    ]
    with runtime.db.read() as tx:
        payloads = [bytes(p) for (p,) in tx.fetchall("SELECT data FROM stream_events")]
    assert [orjson.loads(compact.unpack(p)) for p in payloads] == [edge, newer, newer]


def test_a_body_written_whole_before_reads_the_same() -> None:
    obj = relationship(f"malware--{uuid.uuid4()}", f"tool--{uuid.uuid4()}")
    row = rows.object_row(obj, "2024", "2024", body=compact.dump(obj))
    by_column = dict(zip(rows.OBJECT_COLUMNS.split(", "), row, strict=True))
    body = [by_column[column] for column in ("data", *rows.IN_COLUMNS, *rows.ENDS)]
    assert rows.load(body) == obj
