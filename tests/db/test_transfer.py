"""``stixflow db copy-to``: an embedded store moved to a new PostgreSQL database serves what it
served (the same objects to the same tokens, markings still enforced, the same search, the
same file contents), and goes on from there (new imports, new marking sets and stream events
after the copied ids). A target in use, a queue still holding messages, and a target that is
not PostgreSQL are refused without writing anything."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.bootstrap import ensure_admin
from stixflow.access.capabilities import Capability
from stixflow.access.schemas import GroupCreate, TokenCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.api.app import create_app
from stixflow.cli.main import cli
from stixflow.config import Settings, load_settings
from stixflow.db.base import open_database
from stixflow.db.migrations import migrate
from stixflow.db.transfer import TransferRefused, copy_to_postgres
from stixflow.errors import ConfigError
from stixflow.runtime import Runtime, open_runtime
from stixflow.stix.ids import standard_id
from stixflow.store import rows
from stixflow.worker.heartbeat import HeartbeatWriter
from tests.conftest import PG_ADMIN_URL, TEST_SECRET_KEY, require_service
from tests.support import TLP_AMBER, TLP_GREEN, bundle, drain, malware, relationship


@pytest.fixture
def empty_pg() -> Iterator[str]:
    """A new PostgreSQL database, as ``createdb`` leaves it (not migrated)."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"sf_move_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings_for(url: str) -> Settings:
    return load_settings(database_url=url, secret_key=TEST_SECRET_KEY)


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Runtime]:
    runtime = open_runtime(settings_for(f"sqlite:///{tmp_path}/stixflow.db"))
    yield runtime
    runtime.close()


def sqlite_file(runtime: Runtime) -> str:
    return runtime.settings.database_url.removeprefix("sqlite:///")


def canonical(obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "id": standard_id(obj) or obj["id"]}


def reader_token(runtime: Runtime) -> str:
    """A reader cleared for TLP:GREEN only."""
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    group = service.create_group(
        GroupCreate(
            name="green readers",
            capabilities=[Capability.KNOWLEDGE, Capability.EXPLORE],
            allowed_markings=[TLP_GREEN],
        )
    )
    user = service.create_user(
        UserCreate(email="reader@example.org", name="reader", groups=[group.id])
    )
    return service.create_token(user.id, TokenCreate(name="reader")).token


def as_(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seen(api: TestClient, token: str) -> dict[str, Any]:
    """What a token sees: every object it may list (with its body), and a text search."""
    listed = api.get("/api/objects", params={"limit": 500}, headers=as_(token))
    assert listed.status_code == 200, listed.text
    found = api.get("/api/objects", params={"text": "bot"}, headers=as_(token))
    return {
        "objects": {obj["id"]: obj for obj in listed.json()["objects"]},
        "search": sorted(obj["id"] for obj in found.json()["objects"]),
    }


def post(api: TestClient, runtime: Runtime, token: str, *objects: dict[str, Any]) -> None:
    response = api.post("/api/bundles", content=orjson.dumps(bundle(*objects)), headers=as_(token))
    assert response.status_code in (200, 202), response.text
    drain(runtime, response.json()["work_id"])


def scalar(runtime: Runtime, sql: str, *params: Any) -> Any:
    with runtime.db.read() as tx:
        return tx.fetchall(sql, params)[0][0]


def test_a_store_moved_to_postgresql_serves_what_it_served(lite: Runtime, empty_pg: str) -> None:
    admin = ensure_admin(lite.db, lite.settings).token
    assert admin
    reader = reader_token(lite)
    green = canonical(malware("Greenbot", object_marking_refs=[TLP_GREEN]))
    amber = canonical(malware("Amberbot", object_marking_refs=[TLP_AMBER]))
    with TestClient(create_app(lite)) as api:
        post(api, lite, admin, green, amber, relationship(green["id"], amber["id"]))
        # a JSON text body, as stores older than 0017 hold (its escapes are backslashes)
        old = malware("Written before 0017", description='says "hi"\nfrom C:\\temp')
        with lite.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO objects ({rows.OBJECT_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                rows.object_row(old, "2024", "2024", body=orjson.dumps(old).decode()),
            )
        content = bytes(range(256)) * 40  # binary, NULs included
        uploaded = api.post(
            "/api/files",
            params={"name": "sample.bin", "run": "false"},
            content=content,
            headers=as_(admin),
        )
        assert uploaded.status_code == 201, uploaded.text
        file_id = uploaded.json()["file"]["id"]
        before = {"admin": seen(api, admin), "reader": seen(api, reader)}
    last_event = scalar(lite, "SELECT max(seq) FROM stream_events")
    with lite.db.transaction() as tx:  # the newest event gone (pruned): its id stays used
        tx.execute("DELETE FROM stream_events WHERE seq = ?", (last_event,))
    assert scalar(lite, "SELECT typeof(data) FROM objects WHERE id = ?", old["id"]) == "text"
    assert green["id"] in before["reader"]["objects"]
    assert amber["id"] not in before["reader"]["objects"]  # the amber one stays hidden
    assert {green["id"], amber["id"], old["id"]} <= set(before["admin"]["objects"])
    assert before["reader"]["search"] == [green["id"]]
    lite.close()

    copied = copy_to_postgres(sqlite_file(lite), empty_pg)

    assert copied.rows["objects"] == len(before["admin"]["objects"])
    assert copied.rows["users"] == 2
    moved = open_runtime(settings_for(empty_pg))
    try:
        with TestClient(create_app(moved)) as api:
            # the same tokens see the same objects, bodies and search results
            assert seen(api, admin) == before["admin"]
            assert seen(api, reader) == before["reader"]
            assert api.get(f"/api/objects/{amber['id']}", headers=as_(reader)).status_code == 404
            assert api.get(f"/storage/get/{file_id}", headers=as_(admin)).content == content
            # and the store goes on: a new marking set, new events after the copied ones
            both = canonical(malware("Bothbot", object_marking_refs=[TLP_GREEN, TLP_AMBER]))
            post(api, moved, admin, both)
            assert both["id"] in seen(api, admin)["objects"]
            assert both["id"] not in seen(api, reader)["objects"]
        newest = scalar(moved, f"SELECT seq FROM stream_events WHERE object_id = '{both['id']}'")
        assert newest > last_event
    finally:
        moved.close()


def test_a_target_in_use_is_refused_and_left_as_it_was(lite: Runtime, empty_pg: str) -> None:
    lite.submitter.submit([malware("Firstbot")], name="first")
    drain(lite, scalar(lite, "SELECT id FROM works"))
    first = copy_to_postgres(sqlite_file(lite), empty_pg)
    assert first.rows["objects"] == 1

    with pytest.raises(TransferRefused, match=r"in use \(.*1 rows in objects.*new, empty database"):
        copy_to_postgres(sqlite_file(lite), empty_pg)

    moved = open_runtime(settings_for(empty_pg))
    try:
        assert scalar(moved, "SELECT count(*) FROM objects") == 1
        assert scalar(moved, "SELECT count(*) FROM works") == 1
    finally:
        moved.close()


def test_a_platform_still_running_is_refused(lite: Runtime, empty_pg: str) -> None:
    beat = HeartbeatWriter(lite.db, "busy")
    beat.beat(0, force=True)

    with pytest.raises(TransferRefused, match=r"in use by busy .*stop the platform"):
        copy_to_postgres(sqlite_file(lite), empty_pg)

    beat.stop()  # stopped: the copy goes ahead, heartbeats left behind
    assert "worker_heartbeats" not in copy_to_postgres(sqlite_file(lite), empty_pg).rows
    with psycopg.connect(empty_pg) as conn:
        assert conn.execute("SELECT count(*) FROM worker_heartbeats").fetchone()[0] == 0


def test_a_stixflow_database_in_use_is_refused_before_it_is_migrated(
    lite: Runtime, empty_pg: str
) -> None:
    older = open_database(empty_pg)
    try:
        migrate(older, until=22)
    finally:
        older.close()
    with psycopg.connect(empty_pg) as conn:
        conn.execute(
            "INSERT INTO groups (id, name, created_at) VALUES ('g1', 'analysts', '2026-01-01')"
        )

    with pytest.raises(TransferRefused, match=r"in use \(1 rows in groups\)"):
        copy_to_postgres(sqlite_file(lite), empty_pg)

    with psycopg.connect(empty_pg) as conn:  # not migrated further, its group kept
        assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == 22
        assert conn.execute("SELECT count(*) FROM groups").fetchone()[0] == 3


def test_messages_still_queued_are_refused_before_anything_is_copied(
    lite: Runtime, empty_pg: str
) -> None:
    lite.submitter.submit([malware("Waitingbot")], name="not drained")

    with pytest.raises(TransferRefused, match=r"1 messages are still queued.*let the workers"):
        copy_to_postgres(sqlite_file(lite), empty_pg)

    with psycopg.connect(empty_pg) as conn:  # untouched: not even migrated
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        assert conn.execute(tables).fetchone()[0] == 0


def test_an_unreachable_target_is_named_without_its_password(lite: Runtime) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(TransferRefused) as refused:
        copy_to_postgres(sqlite_file(lite), f"postgresql://someone:pw-1@127.0.0.1:{port}/kb")

    message = str(refused.value)
    assert message.startswith(f"cannot connect to postgresql://someone@127.0.0.1:{port}/kb: ")
    assert "refused" in message and "pw-1" not in message


def test_a_database_of_another_application_is_refused_untouched(
    lite: Runtime, empty_pg: str
) -> None:
    with psycopg.connect(empty_pg) as conn:
        conn.execute("CREATE TABLE invoices (id int PRIMARY KEY)")
        conn.execute("INSERT INTO invoices VALUES (1), (2)")

    with pytest.raises(TransferRefused, match=r"tables that are not stixflow's \(invoices\)"):
        copy_to_postgres(sqlite_file(lite), empty_pg)

    with psycopg.connect(empty_pg) as conn:
        assert conn.execute("SELECT count(*) FROM invoices").fetchone()[0] == 2
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        assert conn.execute(tables).fetchone()[0] == 1  # not migrated either


def test_the_target_must_be_postgresql(lite: Runtime, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a postgresql:// URL"):
        copy_to_postgres(sqlite_file(lite), f"sqlite:///{tmp_path}/other.db")
    with pytest.raises(ConfigError) as refused:  # a keyword DSN is not echoed back
        copy_to_postgres(sqlite_file(lite), "host=db user=x password=hunter2 dbname=kb")
    assert "hunter2" not in str(refused.value)


def test_the_command_prints_where_to_point_the_platform_without_the_password(
    lite: Runtime, empty_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lite.submitter.submit([malware("Clibot")], name="cli")
    drain(lite, scalar(lite, "SELECT id FROM works"))
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", lite.settings.database_url)
    monkeypatch.delenv("STIXFLOW_SECRET_KEY", raising=False)
    scheme, _, rest = empty_pg.partition("://")
    user, _, place = rest.partition("@")
    with_password = f"{scheme}://{user}:s3cret-pw@{place}"  # trust auth: the password is unused

    result = CliRunner().invoke(cli, ["db", "copy-to", with_password], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    assert f"into {empty_pg} (" in result.output and "1 objects" in result.output
    assert f"STIXFLOW_DATABASE_URL={empty_pg} (with its password)" in result.output
    assert f"development key in {sqlite_file(lite)}.key" in result.output


def test_the_command_refuses_when_the_platform_is_already_on_postgresql(
    empty_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", empty_pg)

    result = CliRunner().invoke(cli, ["db", "copy-to", empty_pg])

    assert result.exit_code != 0
    assert "not the embedded one" in result.output
