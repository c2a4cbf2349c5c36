"""``/api/ingestion/{kind}`` as a client uses it, and ``stixflow ingest`` as a user types it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.bootstrap import ensure_admin
from stixflow.access.schemas import UserCreate
from stixflow.access.service import AccessService, issue_token
from stixflow.api.app import create_app
from stixflow.cli.main import cli
from stixflow.runtime import Runtime
from tests.ingest.servers import COLLECTION, FeedServer, Medallion, Route
from tests.ingest.test_rss import rss
from tests.support import LOOPBACK_JSON

ITEMS = [
    ("One", "https://vendor.example/1", "Mon, 01 Jan 2024 10:00:00 GMT"),
    ("Two", "https://vendor.example/2", "Tue, 02 Jan 2024 10:00:00 GMT"),
]


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    token = ensure_admin(runtime.db, runtime.settings).token
    with TestClient(create_app(runtime)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


def test_rss_ingester_life_cycle(client: TestClient, runtime: Runtime, feeds: FeedServer) -> None:
    url = feeds.serve("/feed.xml", Route(rss(*ITEMS)))
    body = {"name": "Vendor", "url": url, "create_source_user": True, "markings": ["TLP:AMBER"]}
    dry = client.post("/api/ingestion/rss/test", json=body)
    assert dry.status_code == 200, dry.text
    assert [o["name"] for o in dry.json()["objects"] if o["type"] == "report"] == ["One", "Two"]

    created = client.post("/api/ingestion/rss", json=body)
    assert created.status_code == 201, created.text
    ingester = created.json()
    assert ingester["running"] is False and ingester["health"]["status"] == "stopped"
    assert any("[F] Vendor" in note for note in ingester["notes"])
    path = f"/api/ingestion/rss/{ingester['id']}"
    assert client.post("/api/ingestion/rss", json=body).status_code == 409
    assert [i["name"] for i in client.get("/api/ingestion/rss").json()] == ["Vendor"]
    assert client.get("/api/ingestion/taxii").json() == []

    assert client.post(f"{path}/start").json()["health"]["status"] == "never run"
    changed = client.patch(path, json={"scheduling_period": "PT6H", "description": "blog"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["scheduling_period"], changed.json()["description"]) == ("PT6H", "blog")
    assert client.patch(path, json={"scheduling_period": "soon"}).status_code == 422
    assert client.post(f"{path}/test").json()["fetched"] == 2  # author: the [F] organization

    assert client.post(f"{path}/stop").json()["running"] is False
    reset = client.post(f"{path}/reset")
    assert reset.status_code == 200 and reset.json()["purged"] == 0
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert client.get("/api/ingestion/json").status_code == 422


def test_taxii_create_reports_what_it_corrected(
    client: TestClient, tmp_path: Path, ics_objects: list
) -> None:
    server = Medallion(tmp_path, ics_objects[:20], page_size=10).start()
    try:
        body = {
            "name": "ICS",
            "url": server.objects_url,
            "auth_type": "basic",
            "username": "admin",
            "password": "Password0",
        }
        created = client.post("/api/ingestion/taxii", json=body)
        assert created.status_code == 201, created.text
        out = created.json()
        assert out["settings"]["url"] == server.api_root
        assert out["settings"]["collection"] == COLLECTION
        assert "Password0" not in created.text
        preview = client.post(f"/api/ingestion/taxii/{out['id']}/test").json()
        assert preview["fetched"] == 20 and not preview["truncated"]
        missing = client.post(
            "/api/ingestion/taxii", json={**body, "name": "x", "auth_type": "bearer"}
        )
        assert missing.status_code == 400 and "token" in missing.json()["error"]
    finally:
        server.stop()


def test_managing_ingesters_needs_the_ingestion_capability(
    client: TestClient, runtime: Runtime
) -> None:
    access = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    user = access.create_user(UserCreate(email="reader@example.org", name="reader"))
    with runtime.db.transaction() as tx:
        token = issue_token(tx, user.id, "test").token
    denied = client.get("/api/ingestion/rss", headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403 and denied.json()["capability"] == "INGESTION"
    assert client.get("/api/ingestion/rss", headers={"Authorization": ""}).status_code == 401


def test_cli_mirrors_the_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, feeds: FeedServer
) -> None:
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"], catch_exceptions=False).exit_code == 0

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["ingest", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    url = feeds.serve("/cli.xml", Route(rss(*ITEMS)))
    assert '"name": "Two"' in run("rss", "test", "blog", url)
    added = run("rss", "add", "blog", url, "--create-source-user", "--every", "PT2H")
    assert "[F] blog" in added and "stopped" in added
    assert "queued 2 objects in 1 works" in run("rss", "run", "blog")
    assert "queued 0 objects" in run("rss", "run", "blog")
    assert "never run" not in run("rss", "start", "blog")
    listed = run("rss", "list")
    assert "blog" in listed and "ok" in listed and "total 2" in listed
    assert "purged" in run("rss", "reset", "blog")
    assert '"newest": null' not in run("rss", "show", "blog")
    run("rss", "stop", "blog")
    run("rss", "delete", "blog")
    assert run("rss", "list") == ""
    assert "Usage:" in run("taxii", "add", "--help")
