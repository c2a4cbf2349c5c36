"""Stored secrets (issue 12, findings 1, 4 and 11): bound to their destination, sealed at rest,
rotated with a documented procedure, and never handed to a reader who is not their owner.

A feed or synchroniser moved to another URL (the "attacker" loopback server) does not take its
stored credentials along: the same request must give them again. Credentials are encrypted in the
database (read back raw on both back ends), keys rotate with ``stixflow secrets rotate``, and a
connector's broker password goes only to the connector's own user and administrators.
"""

from __future__ import annotations

import base64
import os
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import SecretStr

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.capabilities import Capability
from stixflow.cli.main import cli
from stixflow.config import Settings, load_settings
from stixflow.connectors.records import ConnectorRecords
from stixflow.connectors.service import ConnectorService
from stixflow.errors import ConfigError
from stixflow.ingest.records import IngesterRecords
from stixflow.runtime import Runtime, open_runtime
from stixflow.streams.sync.records import Sync, SyncRecords
from stixflow.web.session import COOKIE
from tests.api.conftest import admin_token, client, user_token  # noqa: F401  (shared fixtures)
from tests.conftest import Pair
from tests.csvmap.support import MAPPERS
from tests.ingest.servers import FeedServer, Route
from tests.security.conftest import Attacker
from tests.taxii.conftest import LiveServer

C = Capability
FEODO = "csv/feodo_ipblocklist_2024-03-26_23-30-15.csv"
FEODO_MAPPER = "Feodo Tracker C2 IPs"
TAXII_JSON = {"Content-Type": "application/taxii+json;version=2.1"}
KEY_A = "rotation-test-key-A-0123456789abcdefghij"
KEY_B = "rotation-test-key-B-0123456789abcdefghij"


@pytest.fixture
def ingestion_user(client: TestClient, user_token: Callable[..., str]) -> dict[str, str]:  # noqa: F811
    """Headers of a plain INGESTION user (the hostile one)."""
    return {"Authorization": f"Bearer {user_token(C.INGESTION)}"}


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def live(runtime: Runtime) -> Iterator[LiveServer]:
    with LiveServer(runtime) as server:
        yield server


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def ui(token: str) -> dict[str, str]:
    """Headers of a signed-in browser (session cookie, same origin)."""
    return {"Cookie": f"{COOKIE}={token}", "Origin": "http://testserver"}


# -- bound to their destination (finding 1) -------------------------------------------------


def test_a_taxii_feed_moved_elsewhere_does_not_take_its_password_along(
    client: TestClient,  # noqa: F811
    admin_token: str,  # noqa: F811
    ingestion_user: dict[str, str],
    attacker: Attacker,
    partner: Attacker,
) -> None:
    body = {
        "name": "Partner",
        "url": f"{partner.url}/api1/",
        "collection": "partner-collection",
        "auth_type": "basic",
        "username": "partner",
        "password": "password-of-the-partner",
    }
    feed = client.post("/api/ingestion/taxii", json=body).json()
    path = f"/api/ingestion/taxii/{feed['id']}"
    stolen = {"url": f"{attacker.url}/api1/"}
    attacker.answer(
        "/api1/collections/partner-collection/objects/", body='{"objects": []}', headers=TAXII_JSON
    )

    assert client.patch(path, json=stolen, headers=ingestion_user).status_code == 404
    assert client.post(f"{path}/test", headers=ingestion_user).status_code == 404

    refused = client.patch(path, json=stolen)
    assert refused.status_code == 400
    assert "credentials" in refused.json()["error"]
    verify = client.post(
        f"/data/ingestion/taxii/{feed['id']}/verify",
        data={**stolen, "collection": "partner-collection", "auth_type": "basic"},
        headers=ui(admin_token),
    )
    assert verify.status_code == 200 and "credentials" in verify.text
    assert attacker.requests == []
    assert client.get(path).json()["settings"]["credentials"] == ["password"]

    moved = client.patch(path, json={**stolen, "auth_type": "none"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["settings"]["credentials"] == []
    assert client.post(f"{path}/test").json()["fetched"] == 0
    assert attacker.requests and attacker.headers_seen("Authorization") == []

    renewed = {"auth_type": "basic", "username": "me", "password": "a-new-password"}
    assert client.patch(path, json=renewed).status_code == 200
    client.post(f"{path}/test")  # the new credentials (checked at the change, then tested)
    assert set(attacker.headers_seen("Authorization")) == {basic("me", "a-new-password")}


def test_a_csv_feed_moved_elsewhere_does_not_take_its_token_along(
    client: TestClient,  # noqa: F811
    ingestion_user: dict[str, str],
    attacker: Attacker,
    feeds: FeedServer,
    data_dir: Path,
) -> None:
    csv = (data_dir / FEODO).read_bytes()
    client.post("/api/csv-mappers", content=(MAPPERS / "feodo.json").read_bytes())
    legit = feeds.serve("/blocklist.csv", Route(csv, content_type="text/csv"))
    attacker.answer("/blocklist.csv", body=csv)
    body = {
        "name": "Feodo",
        "url": legit,
        "mapper": FEODO_MAPPER,
        "auth_type": "bearer",
        "token": "token-of-the-vendor",
    }
    created = client.post("/api/ingestion/csv", json=body)
    assert created.status_code == 201, created.text
    path = f"/api/ingestion/csv/{created.json()['id']}"
    stolen = {"url": f"{attacker.url}/blocklist.csv"}

    assert client.patch(path, json=stolen, headers=ingestion_user).status_code == 404
    assert client.post(f"{path}/duplicate", headers=ingestion_user).status_code == 404
    refused = client.patch(path, json=stolen)
    assert refused.status_code == 400 and "credentials" in refused.json()["error"]
    assert attacker.requests == []

    moved = client.patch(path, json={**stolen, "token": "token-for-the-new-host"})
    assert moved.status_code == 200, moved.text
    client.post(f"{path}/test")
    assert set(attacker.headers_seen("Authorization")) == {"Bearer token-for-the-new-host"}


def test_duplicating_a_csv_feed_to_another_url_copies_no_credentials(
    client: TestClient,  # noqa: F811
    admin_token: str,  # noqa: F811
    attacker: Attacker,
    feeds: FeedServer,
    data_dir: Path,
) -> None:
    csv = (data_dir / FEODO).read_bytes()
    client.post("/api/csv-mappers", content=(MAPPERS / "feodo.json").read_bytes())
    legit = feeds.serve("/blocklist.csv", Route(csv, content_type="text/csv"))
    attacker.answer("/blocklist.csv", body=csv)
    secret = {"auth_type": "header", "header_name": "X-Api-Key", "header_value": "key-of-vendor"}
    body = {"name": "Feodo", "url": legit, "mapper": FEODO_MAPPER, **secret}
    original = client.post("/api/ingestion/csv", json=body).json()
    form = {
        "name": "Feodo-copy",
        "mapper": original["settings"]["mapper"],
        "auth_type": "header",
        "header_name": "X-Api-Key",
        "duplicate_of": original["id"],
    }

    elsewhere = client.post(
        "/data/ingestion/csv/verify",
        data={**form, "url": f"{attacker.url}/blocklist.csv"},
        headers=ui(admin_token),
    )
    assert "needs a header name and a value" in elsewhere.text
    assert attacker.requests == []

    feeds.requests.clear()
    same = client.post(
        "/data/ingestion/csv/verify", data={**form, "url": legit}, headers=ui(admin_token)
    )
    assert "192.9.135.73" in same.text  # the copy to the same place keeps its key
    assert {h.get("X-Api-Key") for _, h in feeds.requests} == {"key-of-vendor"}


def test_a_synchroniser_moved_elsewhere_does_not_take_its_token_along(
    client: TestClient,  # noqa: F811
    admin_token: str,  # noqa: F811
    ingestion_user: dict[str, str],
    attacker: Attacker,
    live: LiveServer,
) -> None:
    stream = client.post("/api/streams", json={"name": "ours", "filters": {}}).json()["id"]
    body = {"name": "mirror", "uri": live.url, "token": admin_token, "stream_id": stream}
    sync = client.post("/api/ingestion/live-streams", json=body)
    assert sync.status_code == 201, sync.text
    path = f"/api/ingestion/live-streams/{sync.json()['id']}"
    stolen = {"uri": attacker.url}
    nothing = '{"data": {"streamCollections": {"edges": []}}}'
    attacker.answer("/graphql", body=nothing, headers={"Content-Type": "application/json"})

    assert client.patch(path, json=stolen, headers=ingestion_user).status_code == 404
    refused = client.patch(path, json=stolen)
    assert refused.status_code == 400 and "token" in refused.json()["error"]
    assert attacker.requests == []

    renewed = client.patch(path, json={**stolen, "token": "token-for-the-new-remote"})
    assert renewed.status_code == 400  # the attacker has no such stream
    assert attacker.headers_seen("Authorization") == ["Bearer token-for-the-new-remote"]
    assert client.get(path).json()["uri"] == live.url


def test_credentials_inside_a_url_are_refused(client: TestClient) -> None:  # noqa: F811
    """A URL is shown to every manager of the feed and written in logs and errors."""
    base = {"name": "Partner", "url": "https://partner.example/api1/", "collection": "c1"}
    for field, value in [
        ("url", "https://partner:in-the-url@partner.example/api1/"),
        ("proxy", "http://me:in-the-url@proxy.example:3128"),
    ]:
        refused = client.post("/api/ingestion/taxii", json={**base, field: value})
        assert refused.status_code == 422, refused.text
        assert "authentication fields" in refused.text
    assert client.get("/api/ingestion/taxii").json() == []


# -- sealed at rest (finding 11) -------------------------------------------------------------


def test_credentials_are_encrypted_in_the_database(
    client: TestClient,  # noqa: F811
    runtime: Runtime,
    partner: Attacker,
) -> None:
    body = {
        "name": "Partner",
        "url": f"{partner.url}/api1/",
        "collection": "c1",
        "auth_type": "bearer",
        "token": "bearer-token-of-the-partner",
    }
    feed = client.post("/api/ingestion/taxii", json=body).json()
    sync = remote_sync("remote-platform-token")
    with runtime.db.transaction() as tx:
        SyncRecords(runtime.db, runtime.secrets).insert(tx, sync)
        tx.execute(
            "INSERT INTO connectors (id, name, type, created_at, updated_at) "
            "VALUES ('c-1', 'c', 'EXTERNAL_IMPORT', 'now', 'now')"
        )
        ConnectorRecords(runtime.db, runtime.secrets).set_broker_account(
            tx, "c-1", "connector-c-1", "broker-password-of-c-1"
        )

    with runtime.db.read() as tx:
        raw = [
            tx.fetchone("SELECT secret FROM ingesters WHERE id = ?", (feed["id"],))[0],
            tx.fetchone("SELECT token FROM stream_syncs WHERE id = ?", (sync.id,))[0],
            tx.fetchone("SELECT broker_secret FROM connectors WHERE id = 'c-1'")[0],
        ]
    plain = ["bearer-token-of-the-partner", "remote-platform-token", "broker-password-of-c-1"]
    for stored, secret in zip(raw, plain, strict=True):
        assert stored.startswith("v1:") and secret not in stored
    ingester = IngesterRecords(runtime.db, runtime.secrets).get(feed["id"])
    assert ingester.secret == {"token": plain[0]}
    assert SyncRecords(runtime.db, runtime.secrets).get(sync.id).token == plain[1]
    assert ConnectorRecords(runtime.db, runtime.secrets).get("c-1").broker_secret == plain[2]

    assert plain[0] not in repr(ingester) and plain[1] not in repr(sync)
    shown = client.get(f"/api/ingestion/taxii/{feed['id']}").text + client.get("/api/audit").text
    assert plain[0] not in shown


def remote_sync(token: str) -> Sync:
    """A synchroniser row with this remote token (written through the records, as saved)."""
    return Sync(
        id=str(uuid.uuid4()),
        name="mirror",
        description="",
        source="sync-x",
        uri="https://remote.example",
        token=token,
        stream_id="s1",
        user_id=None,
    )


def _settings(pair: Pair, **changes: Any) -> Settings:
    return pair.settings.model_copy(update=changes)


def _env(monkeypatch: pytest.MonkeyPatch, pair: Pair, **extra: str) -> None:
    for name, value in {**pair.env, **extra}.items():
        if name.startswith("STIXFLOW_"):
            monkeypatch.setenv(name, value)


def test_rotation_reseals_every_secret_with_the_new_key(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_a = open_runtime(_settings(pair, secret_key=SecretStr(KEY_A)))
    try:
        records = IngesterRecords(with_a.db, with_a.secrets)
        with with_a.db.transaction() as tx:
            tx.execute(
                "INSERT INTO ingesters (id, kind, name, source, scheduling_period, secret, "
                "created_at, updated_at) VALUES ('f1', 'rss', 'f1', 's1', 'PT1H', '{}', 'x', 'x'), "
                "('f2', 'rss', 'f2', 's2', 'PT1H', ?, 'x', 'x')",
                ('{"password": "stored-before-encryption"}',),
            )
            feed = records.get_in(tx, "f1")
            feed.secret = {"password": "sealed-with-key-a"}
            records.save(tx, feed)
            SyncRecords(with_a.db, with_a.secrets).insert(tx, remote_sync("token-with-key-a"))
            tx.execute(
                "INSERT INTO connectors (id, name, type, created_at, updated_at) "
                "VALUES ('c-1', 'c', 'EXTERNAL_IMPORT', 'x', 'x')"
            )
            ConnectorRecords(with_a.db, with_a.secrets).set_broker_account(
                tx, "c-1", "connector-c-1", "broker-password-with-key-a"
            )
    finally:
        with_a.close()

    only_b = open_runtime(_settings(pair, secret_key=SecretStr(KEY_B)))
    try:
        with pytest.raises(ConfigError, match="PREVIOUS_SECRET_KEYS"):
            IngesterRecords(only_b.db, only_b.secrets).get("f1")
    finally:
        only_b.close()

    _env(monkeypatch, pair, STIXFLOW_SECRET_KEY=KEY_B, STIXFLOW_PREVIOUS_SECRET_KEYS=f'["{KEY_A}"]')
    result = CliRunner().invoke(cli, ["secrets", "rotate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 4 stored secrets" in result.output

    only_b = open_runtime(_settings(pair, secret_key=SecretStr(KEY_B)))
    try:
        records = IngesterRecords(only_b.db, only_b.secrets)
        assert records.get("f1").secret == {"password": "sealed-with-key-a"}
        assert records.get("f2").secret == {"password": "stored-before-encryption"}
        assert SyncRecords(only_b.db, only_b.secrets).get("mirror").token == "token-with-key-a"
        connector = ConnectorRecords(only_b.db, only_b.secrets).get("c-1")
        assert connector.broker_secret == "broker-password-with-key-a"
        with only_b.db.read() as tx:
            raw = [row[0] for row in tx.fetchall("SELECT secret FROM ingesters ORDER BY id")]
        assert all(value.startswith("v1:") and "stored-before" not in value for value in raw)
    finally:
        only_b.close()


# -- which key ---------------------------------------------------------------------------------


def test_outside_development_the_platform_needs_its_key(tmp_path: Path) -> None:
    production = load_settings(
        database_url=f"sqlite:///{tmp_path}/prod.db", environment="production"
    )
    with pytest.raises(ConfigError, match="STIXFLOW_SECRET_KEY"):
        open_runtime(production)
    assert not (tmp_path / "prod.db").exists() and not (tmp_path / "prod.db.key").exists()
    with pytest.raises(ConfigError, match="at least 32"):
        open_runtime(production.model_copy(update={"secret_key": SecretStr("changeme")}))


def test_in_development_a_key_file_is_made_once_next_to_the_database(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/dev.db")
    first = open_runtime(settings)
    sealed = first.secrets.seal("feed password")
    first.close()
    key_file = tmp_path / "dev.db.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    again = open_runtime(settings)
    try:
        assert again.secrets.open(sealed) == "feed password"
    finally:
        again.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".key")] == ["dev.db.key"]


# -- connectors' broker accounts (finding 4) -------------------------------------------------

CONNECTORS_QUERY = "{ connectors { id config { connection { user pass } } } }"


def graphql(http: TestClient, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = http.post("/graphql", json={"query": query}, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


@pytest.fixture
def forget_connectors(runtime: Runtime) -> Iterator[None]:
    """Delete what a test registered: on RabbitMQ, its exchange and broker user too."""
    yield
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    for connector in service.records.list():
        service.delete(connector.id)


@pytest.mark.usefixtures("forget_connectors")
def test_a_connectors_broker_password_goes_only_to_its_user(
    client: TestClient,  # noqa: F811
    runtime: Runtime,
    user_token: Callable[..., str],  # noqa: F811
) -> None:
    owner = user_token(C.CONNECTORAPI)
    register = (
        'mutation { registerConnector(input: {id: "feed-x", name: "Feed X", '
        "type: EXTERNAL_IMPORT}) { id } }"
    )
    assert graphql(client, register, owner)["registerConnector"]["id"] == "feed-x"
    with runtime.db.transaction() as tx:
        ConnectorRecords(runtime.db, runtime.secrets).set_broker_account(
            tx, "feed-x", "connector-feed-x", "broker-password-of-x"
        )

    def account(token: str | None) -> dict[str, Any]:
        found = graphql(client, CONNECTORS_QUERY, token)["connectors"]
        return next(c for c in found if c["id"] == "feed-x")["config"]["connection"]

    reader, other_connector = user_token(C.KNOWLEDGE), user_token(C.CONNECTORAPI)
    single = '{ connector(id: "feed-x") { config { connection { pass } } } }'
    for stranger in (reader, other_connector):
        assert account(stranger) == {"user": None, "pass": None}
        assert graphql(client, single, stranger)["connector"]["config"]["connection"] == {
            "pass": None
        }
    ping = 'mutation { pingConnector(id: "feed-x") { config { connection { pass } } } }'
    pinged = client.post(
        "/graphql", json={"query": ping}, headers={"Authorization": f"Bearer {other_connector}"}
    )
    assert pinged.json()["data"]["pingConnector"] is None  # another user's connector: refused
    assert "another user" in pinged.text and "broker-password-of-x" not in pinged.text
    taken = client.post(
        "/graphql", json={"query": register}, headers={"Authorization": f"Bearer {other_connector}"}
    )
    assert "another user" in taken.text
    assert account(owner) == {"user": "connector-feed-x", "pass": "broker-password-of-x"}
    assert account(None)["pass"] == "broker-password-of-x"  # the administrator (client's token)
