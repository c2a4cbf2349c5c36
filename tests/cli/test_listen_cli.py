"""The CLI of listening connectors. ``stixflow connectors enrich``: without ``--connector`` it
lists the enrichment connectors whose scope takes the object's type; with one it queues the job
and, with ``--wait``, follows the work until the connector's answer is applied.
``stixflow files upload --wait`` follows the file's import the same way."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.cli.main import cli
from stixflow.config import load_settings
from stixflow.connectors.enrichment import next_job
from stixflow.connectors.schemas import ConnectorRegister
from stixflow.connectors.service import ConnectorService
from stixflow.errors import StixflowError
from stixflow.files.imports import file_store
from stixflow.runtime import Runtime, open_runtime
from tests.support import LOOPBACK_JSON, bundle, drain, malware

LABELLER = ConnectorRegister(
    id="labeller", name="Labeller", type="INTERNAL_ENRICHMENT", scope=["Malware"]
)
IMPORTER = ConnectorRegister(
    id="importer", name="Importer", type="INTERNAL_IMPORT_FILE", scope=["application/json"]
)
OTHER = ConnectorRegister(
    id="indicators", name="Indicator checker", type="INTERNAL_ENRICHMENT", scope=["Indicator"]
)


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0
    opened = open_runtime(load_settings())
    service = ConnectorService(opened, actor=LOCAL_ACTOR)
    for spec in (LABELLER, OTHER, IMPORTER):
        service.register(spec, user_id=None)
    yield opened
    opened.close()


def run(*args: str, ok: bool = True) -> str:
    """The command's output; with ``ok=False``, the error ``stixflow`` reports (``main``)."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=not ok)
    assert (result.exit_code == 0) is ok, result.output
    if not ok:
        assert isinstance(result.exception, StixflowError), result.exception
        return str(result.exception)
    return result.output


def answer_one_job(runtime: Runtime) -> None:
    """The labeller: take the job, send the entity back with a label, let a worker apply it."""
    job = None
    while job is None:
        job = next_job(runtime, LABELLER.id, wait=1)
    entity = orjson.loads(job["event"]["stix_entity"])
    work_id = job["internal"]["work_id"]
    labelled = {**entity, "labels": ["cli-enriched"], "modified": "2025-01-01T00:00:00.000Z"}
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    service.push(LABELLER.id, [labelled], work_id=work_id)
    runtime.works.mark_processed(work_id, message=None, in_error=False)
    drain(runtime, work_id)


def test_connectors_enrich_lists_then_enriches_and_follows(
    runtime: Runtime, tmp_path: Path
) -> None:
    target = malware("Formbook")
    path = tmp_path / "in.json"
    path.write_text(json.dumps(bundle(target)))
    run("import", str(path), "--inline")

    listed = run("connectors", "enrich", target["id"])
    assert "labeller" in listed and "Labeller" in listed
    assert "indicators" not in listed

    helper = threading.Thread(target=answer_one_job, args=(runtime,), daemon=True)
    helper.start()
    out = run(
        "connectors",
        "enrich",
        target["id"],
        "--connector",
        LABELLER.id,
        "--wait",
        "--timeout",
        "60",
    )
    helper.join(30)
    assert "queued for labeller" in out
    assert "complete: 1 processed, 0 failed" in out
    assert '"cli-enriched"' in run("objects", "get", target["id"])


def test_connectors_enrich_refuses_out_of_scope_and_unknown(
    runtime: Runtime, tmp_path: Path
) -> None:
    target = malware("XLoader")
    path = tmp_path / "in.json"
    path.write_text(json.dumps(bundle(target)))
    run("import", str(path), "--inline")
    refused = run("connectors", "enrich", target["id"], "--connector", OTHER.id, ok=False)
    assert "not in the scope of indicators" in refused
    missing = run("connectors", "enrich", "malware--00000000-0000-4000-8000-000000000000", ok=False)
    assert "no object" in missing


def import_one_file(runtime: Runtime) -> None:
    """The importer: take the job, read the file, send its objects, let a worker apply them."""
    job = None
    while job is None:
        job = next_job(runtime, IMPORTER.id, wait=1)
    content = file_store(runtime).content(job["event"]["file_id"])
    work_id = job["internal"]["work_id"]
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    service.push(IMPORTER.id, orjson.loads(content)["objects"], work_id=work_id)
    runtime.works.mark_processed(work_id, message=None, in_error=False)
    drain(runtime, work_id)


def test_files_upload_waits_for_the_import(runtime: Runtime, tmp_path: Path) -> None:
    sample = malware("Dridex")
    path = tmp_path / "sample.json"
    path.write_text(json.dumps(bundle(sample)))
    helper = threading.Thread(target=import_one_file, args=(runtime,), daemon=True)
    helper.start()
    out = run("files", "upload", str(path), "--wait", "--timeout", "60")
    helper.join(30)
    assert "import queued for importer" in out
    assert "complete: 1 processed, 0 failed" in out
    assert '"Dridex"' in run("objects", "get", sample["id"])
