"""Files for import connectors: upload (size limit), import jobs on the connector's listen queue,
and who may read a file (``/storage/get``): the uploader, the connector handling it, admins;
never a reader missing its markings, nor another user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.cli.main import cli
from stixflow.connectors.enrichment import next_job
from stixflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.support import bundle, malware

WRITER = (Capability.KNOWLEDGE, Capability.KNOWLEDGE_UPDATE)
IMPORTER = {
    "id": "importer",
    "name": "Importer",
    "type": "INTERNAL_IMPORT_FILE",
    "scope": ["application/json", "text/xml"],
}
CONTENT = orjson.dumps(bundle(malware("Emotet")))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_upload_queues_a_job_the_connector_can_fetch(
    client: TestClient, runtime: Runtime, user_token: Callable[..., str]
) -> None:
    connector_token = user_token(Capability.CONNECTORAPI, Capability.KNOWLEDGE)
    registered = client.post("/api/connectors", json=IMPORTER, headers=bearer(connector_token))
    assert registered.status_code == 200, registered.text
    uploader = user_token(*WRITER)
    answer = client.post(
        "/api/files",
        params={"name": "../../bundle.json"},
        content=CONTENT,
        headers={**bearer(uploader), "Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    stored = answer.json()["file"]
    assert stored["name"] == "bundle.json" and stored["mime_type"] == "application/json"
    assert len(answer.json()["work_ids"]) == 1

    job = next_job(runtime, "importer", wait=2)
    assert job is not None and job["internal"]["work_id"] == answer.json()["work_ids"][0]
    event = job["event"]
    assert event["file_mime"] == "application/json" and event["file_id"] == stored["id"]
    # the connector (its own token), the uploader and an administrator read it
    for token in (connector_token, uploader):
        fetched = client.get(event["file_fetch"], headers=bearer(token))
        assert fetched.status_code == 200 and fetched.content == CONTENT
    assert client.get(event["file_fetch"]).content == CONTENT  # the client's admin token
    # another user may not, even with every capability of the uploader
    other = client.get(event["file_fetch"], headers=bearer(user_token(*WRITER)))
    assert other.status_code == 404
    assert client.get(event["file_fetch"], headers={"Authorization": ""}).status_code == 401


def test_a_marked_file_is_hidden_from_readers_without_the_marking(
    client: TestClient, user_token: Callable[..., str]
) -> None:
    uploaded = client.post(
        "/api/files",
        params={"name": "amber.json", "marking": "TLP:AMBER", "run": "false"},
        content=CONTENT,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert len(uploaded.json()["file"]["markings"]) == 1  # TLP:AMBER, by its id
    green = user_token(*WRITER, allowed=["TLP:GREEN"])
    # a green user cannot mark a file amber, nor read an amber one
    refused = client.post(
        "/api/files",
        params={"name": "x.json", "marking": "TLP:AMBER", "run": "false"},
        content=CONTENT,
        headers=bearer(green),
    )
    assert refused.status_code == 404
    fetch = uploaded.json()["file"]["fetch"]
    assert client.get(fetch, headers=bearer(green)).status_code == 404


def test_uploads_need_knowledge_update_and_stay_under_the_limit(
    client: TestClient, runtime: Runtime, user_token: Callable[..., str]
) -> None:
    reader = user_token(Capability.KNOWLEDGE)
    answer = client.post(
        "/api/files", params={"name": "a.json"}, content=CONTENT, headers=bearer(reader)
    )
    assert answer.status_code == 403
    runtime.settings.files.max_bytes = 10
    big = client.post("/api/files", params={"name": "a.json", "run": "false"}, content=CONTENT)
    assert big.status_code == 413


@pytest.mark.parametrize("connector", [None, "importer"])
def test_no_import_connector_for_the_type(client: TestClient, connector: str | None) -> None:
    client.post("/api/connectors", json=IMPORTER)
    answer = client.post(
        "/api/files",
        params={"name": "notes.pdf", **({"connector": connector} if connector else {})},
        content=b"%PDF-1.4",
    )
    assert answer.status_code == 400


def test_cli_upload_queues_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime: Runtime, client: TestClient
) -> None:
    if not runtime.settings.is_embedded_broker:
        pytest.skip("the CLI test runs on the embedded default")
    client.post("/api/connectors", json=IMPORTER)
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_SECRET_KEY", TEST_SECRET_KEY)
    path = tmp_path / "bundle.json"
    path.write_bytes(CONTENT)
    result = CliRunner().invoke(cli, ["files", "upload", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "(application/json" in result.output and "import queued for importer" in result.output
    job = next_job(runtime, "importer", wait=2)
    assert job is not None and job["event"]["file_fetch"].endswith("/bundle.json")
    listed = CliRunner().invoke(cli, ["files", "list"], catch_exceptions=False)
    assert job["event"]["file_id"] in listed.output
