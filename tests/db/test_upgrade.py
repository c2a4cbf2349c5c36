"""A database written before migration 0017 (object bodies as JSON text, event payloads as plain
zlib streams, side tables with row ids) reads, searches, updates and deletes the same after it,
on both back ends."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg
import pytest

from stixflow.clock import now
from stixflow.config import Settings, load_settings
from stixflow.db import open_database, space
from stixflow.db.migrations import migrate
from stixflow.runtime import open_runtime
from stixflow.store import compact, events, repack, rows, stats
from stixflow.store.base import Access, ObjectQuery, Provenance
from tests.conftest import PAIRS, PG_ADMIN_URL, TEST_SECRET_KEY, _pg_url, require_service
from tests.support import LOOPBACK, TLP_AMBER, TLP_GREEN, malware, relationship

BEFORE = 16
SEEN = "2025-03-01T10:00:00.000Z"
LATER = "2025-03-02T10:00:00.000Z"
QMARKS = ",".join("?" * 15)
EVERYTHING = Access.everything()
PATCH = '[{"op":"replace","path":"/relationship_type","value":"uses"}]'


@pytest.fixture(params=PAIRS)
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings naming an empty database (no migration applied)."""
    common = {"secret_key": TEST_SECRET_KEY, "outbound": {"allow": LOOPBACK}}
    if request.param == "sqlite-embedded":
        yield load_settings(database_url=f"sqlite:///{tmp_path}/old.db", **common)
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"sf_upgrade_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield load_settings(database_url=_pg_url(name), **common)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_old(settings: Settings, objects: list[dict], *, level: int) -> None:
    """Rows as versions before 0017 wrote them: JSON text bodies, zlib payloads, side rows."""
    db = open_database(settings.database_url)
    migrate(db, until=BEFORE)
    with db.transaction() as tx:
        for obj in objects:
            text = orjson.dumps(obj).decode()
            tx.execute(
                f"INSERT INTO objects ({rows.OBJECT_COLUMNS}) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows.object_row(obj, SEEN, SEEN, body=text),
            )
            tx.execute(
                "INSERT INTO stream_events (kind, object_id, object_type, data, patch, source, "
                "user_id, created_at) VALUES ('create', ?, ?, ?, NULL, 'feed', 'u1', ?)",
                (obj["id"], obj["type"], zlib.compress(text.encode(), level), SEEN),
            )
            tx.execute(
                "INSERT INTO object_sources (object_id, source, first_seen, last_seen) "
                "VALUES (?, 'feed', ?, ?)",
                (obj["id"], SEEN, SEEN),
            )
            tx.execute(
                "INSERT INTO object_creators (object_id, user_id, first_seen) VALUES (?, 'u1', ?)",
                (obj["id"], SEEN),
            )
            if obj["type"] == "relationship":  # and a later version with its JSON text patch
                tx.execute(
                    "INSERT INTO stream_events (kind, object_id, object_type, data, patch, "
                    "source, user_id, created_at) VALUES ('update', ?, ?, ?, ?, 'feed', 'u1', ?)",
                    (obj["id"], obj["type"], zlib.compress(text.encode(), level), PATCH, SEEN),
                )
            for marking in obj.get("object_marking_refs", []):
                tx.execute(
                    "INSERT INTO object_markings (object_id, marking_id) VALUES (?, ?)",
                    (obj["id"], marking),
                )
    db.close()


@pytest.mark.parametrize("level", [0, 1])
def test_rows_written_before_0017_read_search_update_and_delete(
    blank: Settings, level: int
) -> None:
    hidden = malware("Oldamber", description="kept amber", object_marking_refs=[TLP_AMBER])
    shown = malware("Oldgreen", description="old green body", object_marking_refs=[TLP_GREEN])
    edge = relationship(shown["id"], hidden["id"])
    alias_id = f"malware--{uuid.uuid4()}"
    missing = f"tool--{uuid.uuid4()}"
    write_old(blank, [hidden, shown, edge], level=level)
    db = open_database(blank.database_url)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO object_aliases (alias_id, object_id) VALUES (?, ?)",
            (alias_id, shown["id"]),
        )
        tx.execute(
            "INSERT INTO object_missing_refs (object_id, ref_id) VALUES (?, ?)",
            (edge["id"], missing),
        )
    db.close()

    runtime = open_runtime(blank)  # applies 0017 and what follows
    try:
        store = runtime.store
        got = store.get(alias_id, access=EVERYTHING)  # through the alias kept by the migration
        assert got is not None and got.data == shown
        assert (got.sources, got.creators, got.aliases) == (["feed"], ["u1"], [alias_id])
        assert store.get(edge["id"], access=EVERYTHING).missing_refs == [missing]
        green = Access.only([TLP_GREEN])
        assert store.get(hidden["id"], access=green) is None  # its marking row survived
        assert store.get(hidden["id"], access=EVERYTHING).data == hidden
        found = store.query(ObjectQuery(text="old green", types=("malware",)), access=green)
        assert [obj["id"] for obj in found.objects] == [shown["id"]]
        assert store.query(ObjectQuery(marking=TLP_AMBER), access=EVERYTHING).objects == [hidden]
        assert store.relationships(shown["id"], access=EVERYTHING) == [edge]
        log = events.read_after(runtime.db, 0)
        assert [e.data for e in log] == [hidden, shown, edge, edge]
        assert log[-1].patch == orjson.loads(PATCH)

        newer = {**shown, "description": "new body", "modified": "2025-06-01T00:00:00.000Z"}
        with runtime.db.transaction() as tx:
            result = store.upsert(tx, [newer], provenance=Provenance(now(), "u1", "feed"))
        assert result.updated == 1
        assert store.get(shown["id"], access=EVERYTHING).data == newer
        with runtime.db.read() as tx:
            stored = tx.scalar("SELECT data FROM objects WHERE id = ?", (shown["id"],))
        assert bytes(stored)[:1] != b"{"  # packed now, without what the row's columns hold
        assert compact.load(stored) == {k: v for k, v in newer.items() if k not in rows.IN_COLUMNS}
        update = events.read_after(runtime.db, 0)[-1]
        assert update.kind == "update" and update.data == newer
        assert {"op": "replace", "path": "/description", "value": "new body"} in update.patch

        assert store.delete(hidden["id"])
        deleted = events.read_after(runtime.db, 0)[-1]
        assert (deleted.kind, deleted.data) == ("delete", hidden)
        assert store.get(hidden["id"], access=EVERYTHING) is None
    finally:
        runtime.close()


def test_repack_packs_what_was_written_before_0017_and_reads_the_same(blank: Settings) -> None:
    objects = [
        malware("Before", description="stored as JSON text " * 20),
        relationship(f"malware--{uuid.uuid4()}", f"tool--{uuid.uuid4()}"),
    ]
    write_old(blank, objects, level=0)
    runtime = open_runtime(blank)
    try:
        with runtime.db.transaction() as tx:  # and one object written since
            runtime.store.upsert(tx, [malware("After")], provenance=Provenance(now(), None, "x"))
        before = events.read_after(runtime.db, 0)
        assert space.bodies(runtime.db).text == 2
        assert repack.repack(runtime.db) == repack.Repacked(objects=2, events=3)
        assert events.read_after(runtime.db, 0) == before
        assert [runtime.store.get(o["id"], access=EVERYTHING).data for o in objects] == objects
        held = space.bodies(runtime.db)
        assert (held.packed, held.text, held.events_in_row) == (3, 0, 1)
        with runtime.db.read() as tx:
            stored = tx.fetchall("SELECT data, patch FROM stream_events")
        assert all(compact.packed(d) or len(d) == 0 for d, _ in stored)
        assert all(p is None or compact.packed(p) for _, p in stored)
        assert repack.repack(runtime.db) == repack.Repacked()
    finally:
        runtime.close()


def test_0021_moves_each_objects_first_source_and_user_into_its_row(blank: Settings) -> None:
    shared, alone = malware("Twofeeds"), malware("Nofeed")
    db = open_database(blank.database_url)
    migrate(db, until=20)
    with db.transaction() as tx:
        for obj in (shared, alone):
            row = rows.object_row(obj, SEEN, LATER, body=compact.dump(obj))
            tx.execute(f"INSERT INTO objects ({rows.OBJECT_COLUMNS}) VALUES ({QMARKS})", row)
        for source, user, seen in (("feed-late", "u2", LATER), ("feed-early", "u1", SEEN)):
            tx.execute(
                "INSERT INTO object_sources (object_id, source, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?)",
                (shared["id"], source, seen, seen),
            )
            tx.execute(
                "INSERT INTO object_creators (object_id, user_id, first_seen) VALUES (?, ?, ?)",
                (shared["id"], user, seen),
            )
    db.close()

    runtime = open_runtime(blank)  # applies 0021
    try:
        store = runtime.store
        got = store.get(shared["id"], access=EVERYTHING)
        assert (got.sources, got.creators) == (["feed-early", "feed-late"], ["u1", "u2"])
        assert store.get(alone["id"], access=EVERYTHING).sources == []
        with runtime.db.read() as tx:
            held = tx.fetchall("SELECT id, source, creator FROM objects ORDER BY name DESC")
            others = tx.fetchall("SELECT source FROM object_sources")
            users = tx.fetchall("SELECT user_id FROM object_creators")
        assert held == [(shared["id"], "feed-early", "u1"), (alone["id"], None, None)]
        assert (others, users) == ([("feed-late",)], [("u2",)])
        for source in ("feed-early", "feed-late"):
            found = store.query(ObjectQuery(source=source), access=EVERYTHING).objects
            assert [obj["id"] for obj in found] == [shared["id"]]
        for user in ("u1", "u2"):
            found = store.query(ObjectQuery(creator=user), access=EVERYTHING).objects
            assert [obj["id"] for obj in found] == [shared["id"]]
        assert stats.sources_of(runtime.db, [shared["id"], alone["id"]]) == {
            shared["id"]: ["feed-early", "feed-late"]
        }
        timeline = stats.ingest_timeline(runtime.db, EVERYTHING, until=LATER)
        assert {s.source: s.total for s in timeline.series} == {"feed-early": 1, "feed-late": 1}
    finally:
        runtime.close()
