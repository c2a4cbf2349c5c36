"""Writes prepared before their transaction store exactly what unprepared writes store."""

from __future__ import annotations

from pathlib import Path

from stixflow.clock import now
from stixflow.config import load_settings
from stixflow.runtime import Runtime, open_runtime
from stixflow.store import events, rows
from stixflow.store.base import Provenance
from stixflow.store.prepared import PreparedWrite
from tests.support import TLP_GREEN, malware, relationship

STAMP = "2024-05-01T12:00:00.000Z"


def test_prepared_rows_are_those_upsert_computes() -> None:
    objects = [malware("Emotet", object_marking_refs=[TLP_GREEN]), malware("Ryuk")]
    prepared = PreparedWrite(objects, seen_at=STAMP)
    for obj in objects:
        ready = prepared.created(obj, STAMP)
        assert ready is not None
        assert ready.row == rows.object_row(obj, STAMP, STAMP)
    assert prepared.covers(objects) and not prepared.covers(objects[:1])
    assert not prepared.covers([dict(objects[0]), objects[1]])  # an equal copy is another dict
    assert prepared.created(dict(objects[0]), STAMP) is None
    assert prepared.created(objects[0], "2024-05-01T12:00:01.000Z") is None
    assert prepared.wanted == {objects[0]["id"], objects[1]["id"], TLP_GREEN}


def _dump(runtime: Runtime) -> dict[str, list]:
    log = [(e.kind, e.object_id, e.data, e.patch) for e in events.read_after(runtime.db, 0)]
    with runtime.db.read() as tx:
        return {
            "objects": tx.fetchall(f"SELECT {rows.OBJECT_COLUMNS} FROM objects ORDER BY id"),
            "markings": tx.fetchall(
                "SELECT o.id, s.markings FROM objects o JOIN marking_sets s "
                "ON s.id = o.marking_set ORDER BY 1"
            ),
            "aliases": tx.fetchall("SELECT * FROM object_aliases ORDER BY 1"),
            "sources": tx.fetchall("SELECT * FROM object_sources ORDER BY 1, 2"),
            "events": log,
        }


def _without(row: tuple, columns: list[int]) -> tuple:
    return tuple(value for index, value in enumerate(row) if index not in columns)


def test_upsert_with_and_without_prepared_stores_the_same(tmp_path: Path) -> None:
    old = malware("Emotet", description="old", modified="2024-01-01T00:00:00.000Z")
    newer = {**old, "description": "new", "modified": "2024-03-01T00:00:00.000Z"}
    renamed = malware("Ryuk")
    alias = "malware--0c7b44b6-e4c5-480b-b5b9-56f2081b1b7b"
    batches = [
        ([old, renamed], {alias: renamed["id"]}),
        # an update (merge), a new object, and one pointing at a known alias (rewritten)
        ([newer, malware("Conti"), relationship(old["id"], alias)], {}),
        ([malware("Trickbot", object_marking_refs=[TLP_GREEN]), newer], {}),
    ]
    dumps = []
    for use_prepared in (True, False):
        settings = load_settings(database_url=f"sqlite:///{tmp_path}/{use_prepared}.db")
        runtime = open_runtime(settings)
        try:
            for objects, aliases in batches:
                provenance = Provenance(seen_at=now(), user_id="u1", source="feed")
                prepared = PreparedWrite(objects, seen_at=provenance.seen_at)
                with runtime.db.transaction() as tx:
                    runtime.store.upsert(
                        tx,
                        objects,
                        provenance=provenance,
                        aliases=aliases,
                        prepared=prepared if use_prepared else None,
                    )
            dumps.append(_dump(runtime))
        finally:
            runtime.close()
    with_prepared, without = dumps
    kinds = [kind for kind, *_ in with_prepared["events"]]
    assert kinds == ["create"] * 2 + ["update", "create", "create", "create"]
    assert len(with_prepared["objects"]) == 5
    # first/last seen are the writes' own times
    seen = [rows.OBJECT_COLUMNS.split(", ").index(name) for name in ("first_seen", "last_seen")]
    assert [_without(r, seen) for r in with_prepared["objects"]] == [
        _without(r, seen) for r in without["objects"]
    ]
    assert [r[:-2] for r in with_prepared["sources"]] == [r[:-2] for r in without["sources"]]
    for table in ("markings", "aliases", "events"):
        assert with_prepared[table] == without[table]
