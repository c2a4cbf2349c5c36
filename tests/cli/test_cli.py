"""The ``stixflow`` command as a user runs it (embedded default, in a temp directory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stixflow.cli.main import cli
from tests.support import LOOPBACK_JSON, bundle, malware, relationship


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0  # only migrate creates
    runner = CliRunner()

    def invoke(*args: str, input: bytes | None = None):
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return invoke


def test_every_command_has_help(run) -> None:
    for command in (
        [],
        ["serve"],
        ["worker"],
        ["migrate"],
        ["import"],
        ["export"],
        ["objects", "list"],
        ["objects", "get"],
        ["works", "list"],
        ["works", "show"],
        ["dead-letters", "list"],
        ["dead-letters", "retry"],
    ):
        assert "Usage:" in run(*command, "--help").output


def test_import_inline_then_list_get_export(run, tmp_path: Path) -> None:
    from stix2validator import ValidationOptions, validate_file

    a, b = malware("Formbook"), malware("XLoader")
    path = tmp_path / "in.json"
    path.write_text(json.dumps(bundle(a, b, relationship(a["id"], b["id"]))))
    assert "3 written, 0 failed" in run("import", str(path), "--inline").output
    listed = run("objects", "list", "--type", "malware").output
    assert "Formbook" in listed and "XLoader" in listed
    assert '"name": "Formbook"' in run("objects", "get", a["id"]).output
    works = run("works", "list").output
    assert "complete" in works and "3/3" in works
    out = tmp_path / "out.json"
    run("export", "-o", str(out))
    exported = json.loads(out.read_text())
    assert len(exported["objects"]) == 3
    assert validate_file(str(out), ValidationOptions(version="2.1")).is_valid


def test_import_from_stdin(run) -> None:
    data = json.dumps(bundle(malware("Stdin malware"))).encode()
    assert "1 written" in run("import", "-", "--inline", input=data).output


def test_migrate_is_idempotent(run) -> None:
    run("migrate")
    assert "up to date" in run("migrate").output


def test_csv_import_records_the_source_given(run, data_dir: Path) -> None:
    mapper = Path(__file__).resolve().parents[1] / "csvmap" / "mappers" / "feodo.json"
    run("csv-mappers", "add", str(mapper))
    csv = str(data_dir / "csv" / "feodo_ipblocklist_2024-03-26_23-30-15.csv")
    out = run("import", csv, "--mapper", "Feodo Tracker C2 IPs", "--source", "abuse.ch", "--inline")
    assert "0 failed" in out.output
    assert "abuse.ch" in run("works", "list", "--source", "abuse.ch").output
    assert "ImportCSV" not in run("works", "list").output
    listed = run("objects", "list", "--source", "abuse.ch", "--type", "malware").output
    assert "Pikabot" in listed
    run("import", csv, "--mapper", "Feodo Tracker C2 IPs", "--inline")  # no --source: ImportCSV
    assert "ImportCSV" in run("works", "list", "--source", "ImportCSV").output
