"""``stixflow taxii collections``, ``stixflow streams`` and ``stixflow ingest taxii-push``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stixflow.cli.main import cli
from tests.support import LOOPBACK_JSON


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0  # only migrate creates
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_collections_and_streams(run: Callable[..., Result]) -> None:
    run("users", "add", "ana@example.org", "--name", "Ana")
    added = run(
        "taxii", "collections", "add", "amber", "--marking", "TLP:AMBER", "--type", "malware"
    )
    assert "marking-definition--" in added.output
    assert "amber" in run("taxii", "collections", "list").output
    run("streams", "add", "public feed", "--public")
    assert "public" in run("streams", "list").output
    run("streams", "stop", "public feed")
    assert "stopped" in run("streams", "list").output
    run("taxii", "collections", "add", "amber", code=1)


def test_taxii_push_life_cycle(run: Callable[..., Result]) -> None:
    run("users", "add", "pusher@example.org", "--name", "Pusher")
    created = run(
        "ingest",
        "taxii-push",
        "add",
        "partner",
        "--allow-user",
        "pusher@example.org",
        "--confidence-to-score",
    )
    assert "stopped" in created.output and "/taxii2/root/collections/" in created.output
    assert "running" in run("ingest", "taxii-push", "start", "partner").output
    assert "partner" in run("ingest", "taxii-push", "list").output
    run("ingest", "taxii-push", "delete", "partner")
    assert run("ingest", "taxii-push", "list").output == ""
    wrong = run(
        "ingest",
        "live-stream",
        "remote-streams",
        "--uri",
        "http://127.0.0.1:9",
        "--token",
        "x",
        code=1,
    )
    assert "cannot reach" in wrong.output
