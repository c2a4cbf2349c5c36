"""PostgreSQL: ``executemany`` of an INSERT sends multi-row statements, applied as row by row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from stixflow.clock import now
from stixflow.db import postgres
from stixflow.db.migrations import migrate
from stixflow.db.postgres import PostgresDatabase, _multi_row
from stixflow.store.base import Access, ObjectQuery, Provenance
from stixflow.store.sql import SQLStore
from tests.conftest import PG_ADMIN_URL, require_service
from tests.support import malware, sdo

SOURCES = (
    "INSERT INTO object_sources (object_id, source, first_seen, last_seen) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (object_id, source) DO UPDATE SET last_seen = excluded.last_seen"
)
MARKINGS = (
    "INSERT INTO marking_set_members (set_id, marking_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
)
EVENTS = (
    "INSERT INTO stream_events (kind, object_id, object_type, data, patch, source, user_id, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


@pytest.fixture
def db(pg_database: str) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase(pg_database, max_size=2)
    yield database
    database.close()


def test_only_plain_inserts_are_sent_as_multi_row_statements() -> None:
    assert _multi_row(SOURCES).key == (0, 1)
    assert _multi_row(MARKINGS).key is None
    assert _multi_row("UPDATE objects SET last_seen = ? WHERE id = ?") is None
    assert (
        _multi_row("INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (c) DO UPDATE SET a = 1") is None
    )
    assert _multi_row("INSERT INTO t (a) SELECT ? WHERE true") is None
    assert _multi_row("INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT DO UPDATE SET a = ?") is None
    statement = _multi_row(MARKINGS).statement(2)
    assert "VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING" in statement


def test_a_later_row_updates_an_earlier_one_with_the_same_key(db: PostgresDatabase) -> None:
    rows = [
        ("a", "feed", "t1", "t1"),
        ("b", "feed", "t1", "t1"),
        ("a", "feed", "t2", "t2"),  # same key in the same call: one by one, it updates
        ("a", "other", "t1", "t1"),
        ("a", "feed", "t3", "t3"),
    ]
    with db.transaction() as tx:
        tx.executemany(SOURCES, rows)
        tx.executemany(MARKINGS, [(1, "m1"), (1, "m1"), (1, "m2")])
    with db.read() as tx:
        assert tx.fetchall("SELECT * FROM object_sources ORDER BY 1, 2") == [
            ("a", "feed", "t1", "t3"),
            ("a", "other", "t1", "t1"),
            ("b", "feed", "t1", "t1"),
        ]
        assert tx.fetchall("SELECT * FROM marking_set_members ORDER BY 1, 2") == [
            (1, "m1"),
            (1, "m2"),
        ]


def test_many_rows_are_split_in_batches_and_keep_their_order(
    db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "MAX_BATCH_ROWS", 7)
    _multi_row.cache_clear()
    try:
        with db.transaction() as tx:
            tx.executemany(
                EVENTS,
                [("create", f"o{i}", "malware", b"{}", None, None, None, "t") for i in range(30)],
            )
    finally:
        _multi_row.cache_clear()
    with db.read() as tx:
        found = tx.fetchall("SELECT object_id FROM stream_events ORDER BY seq")
    assert [row[0] for row in found] == [f"o{i}" for i in range(30)]


@pytest.fixture(params=["libc C.UTF-8", "icu en-US"])
def collated_db(request: pytest.FixtureRequest) -> Iterator[tuple[PostgresDatabase, bool]]:
    """A new database migrated from scratch, with the server's default collation (C.UTF-8 here:
    ids compare as bytes) or a linguistic one (ICU en-US: dashes ignored at first); and whether
    it is the linguistic one."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"sf_test_{uuid.uuid4().hex[:10]}"
    locale = " LOCALE_PROVIDER icu ICU_LOCALE 'en-US'" if "icu" in request.param else ""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0{locale}')
    database = PostgresDatabase(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", max_size=2)
    try:
        migrate(database)
        yield database, bool(locale)
    finally:
        database.close()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _indexes(db: PostgresDatabase, table: str) -> dict[str, str]:
    with db.read() as tx:
        found = tx.fetchall(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ?", (table,)
        )
    return dict(found)


def test_a_types_objects_are_listed_whatever_the_collation(
    collated_db: tuple[PostgresDatabase, bool],
) -> None:
    db, linguistic = collated_db
    # where dashes are ignored, "x-mitre-tactic--…" is not one range between "--" and "-."
    objects = [sdo("x-mitre-tactic", f"t{i}") for i in range(30)]
    objects += [sdo("x-mitre-matrix", f"m{i}") for i in range(30)]
    objects += [malware(f"family {i}") for i in range(30)]
    store = SQLStore(db)
    with db.transaction() as tx:
        store.upsert(tx, objects, provenance=Provenance(now(), "user-1", "test"))
    assert db.ids_in_byte_order() is not linguistic
    assert ("objects_type" in _indexes(db, "objects")) is linguistic  # migration 0023
    assert "USING hash (object_id)" in _indexes(db, "stream_events")["stream_events_object"]
    for kind in ("x-mitre-tactic", "malware"):
        seen, cursor = [], None
        while True:
            page = store.query(
                ObjectQuery(types=(kind,), limit=7, cursor=cursor), access=Access.everything()
            )
            seen += [o["id"] for o in page.objects]
            if (cursor := page.next_cursor) is None:
                break
        assert sorted(seen) == sorted(o["id"] for o in objects if o["type"] == kind)
        assert len(seen) == len(set(seen)) == 30
