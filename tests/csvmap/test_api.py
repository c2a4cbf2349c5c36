"""``/api/csv-mappers`` and ``/api/ingestion/csv`` as a client uses them, and the CLI as a user
types it (``stixflow csv-mappers``, ``stixflow import --mapper``, ``stixflow ingest csv``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from stixflow.access.bootstrap import ensure_admin
from stixflow.api.app import create_app
from stixflow.cli.main import cli
from stixflow.runtime import Runtime
from tests.csvmap.support import MAPPERS, plain_rows
from tests.ingest.servers import FeedServer, Route
from tests.support import LOOPBACK_JSON, drain

FEODO = "csv/feodo_ipblocklist_2024-03-26_23-30-15.csv"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    token = ensure_admin(runtime.db, runtime.settings).token
    with TestClient(create_app(runtime)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def test_mapper_life_cycle(
    client: TestClient, runtime: Runtime, feeds: FeedServer, data_dir: Path
) -> None:
    body = json.loads((MAPPERS / "feodo.json").read_text())
    broken = {
        **body,
        "representations": body["representations"][:3]
        + [
            {
                "id": "indicates",
                "target": "indicates",
                "attributes": [{"key": "from", "based_on": ["indicator"]}],
            }
        ],
    }
    refused = client.post("/api/csv-mappers", json=broken)
    assert refused.status_code == 400 and "mandatory attribute to" in refused.text
    created = client.post("/api/csv-mappers", json=body)
    assert created.status_code == 201, created.text
    mapper_id = created.json()["id"]
    assert [m["name"] for m in client.get("/api/csv-mappers").json()] == [body["name"]]

    rows = plain_rows(data_dir / FEODO, header=True)
    ips, families = {r[1] for r in rows}, {r[5] for r in rows}
    sample = (data_dir / FEODO).read_bytes()
    tested = client.post(f"/api/csv-mappers/{mapper_id}/test", files={"file": ("f.csv", sample)})
    assert tested.status_code == 200, tested.text
    result = tested.json()
    assert result["entities"] == 2 * len(ips) + len(families)
    assert result["relationships"] == 2 * len(ips)  # based-on + indicates (one family per IP)
    assert len(result["objects"]) == 50 and result["error_count"] == 0
    url = feeds.serve("/feodo.csv", Route(sample, content_type="text/csv"))
    by_url = client.post(f"/api/csv-mappers/{mapper_id}/test", data={"url": url}).json()
    assert by_url["by_type"] == result["by_type"]

    imported = client.post(
        f"/api/csv-mappers/{body['name']}/import", files={"file": ("feodo.csv", sample)}
    )
    assert imported.status_code == 202, imported.text
    work = drain(runtime, imported.json()["work_id"])
    assert work.source == "ImportCSV" and work.failed == 0
    assert work.expected == result["entities"] + result["relationships"]

    feed = client.post(
        "/api/ingestion/csv", json={"name": "Feodo", "url": url, "mapper": mapper_id}
    )
    assert feed.status_code == 201, feed.text
    assert any(n.startswith("tested:") for n in feed.json()["notes"])
    copy = client.post(f"/api/ingestion/csv/{feed.json()['id']}/duplicate")
    assert copy.status_code == 201 and copy.json()["name"] == "Feodo-copy"
    assert [f["name"] for f in client.get("/api/ingestion/csv").json()] == ["Feodo", "Feodo-copy"]
    assert client.delete(f"/api/csv-mappers/{mapper_id}").status_code == 409
    connectors = client.get("/api/connectors").json()
    assert any(c["id"] == feed.json()["source"] for c in connectors)


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0  # only migrate creates
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    assert "SSLBL SHA1" in run("csv-mappers", "add", str(MAPPERS / "sslbl.json"))
    assert "SSLBL SHA1" in run("csv-mappers", "list")
    assert '"x509-certificate"' in run("csv-mappers", "show", "SSLBL SHA1")
    path = data_dir / "csv/sslblacklist_1.csv"
    n = len({row[1].lower() for row in plain_rows(path)})
    tested = run("csv-mappers", "test", "SSLBL SHA1", "--file", str(path))
    assert f"{2 * n} entities, {n} relationships" in tested
    imported = run("import", str(path), "--mapper", "SSLBL SHA1", "--inline")
    assert f"{3 * n} objects queued, 0 rows not mapped" in imported
    assert f"complete, {3 * n} written, 0 failed" in imported
