"""``stixflow taxii collections``, ``streams`` and ``ingest taxii-push|live-stream`` against a
running instance with ``--url``/``--token``: nothing written to the local database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stixflow.cli.main import cli
from tests.streams.instances import Instance
from tests.support import LOOPBACK_JSON

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    instance = Instance("remote", tmp_path_factory.mktemp("remote")).start()
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """The platform whose live stream the remote instance follows."""
    instance = Instance("platform", tmp_path_factory.mktemp("platform")).start()
    yield instance
    instance.close()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remote: Instance) -> Run:
    """``stixflow GROUP --url … --token … ARGS`` (the local database stays empty)."""
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/local.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    monkeypatch.delenv("STIXFLOW_URL", raising=False)
    monkeypatch.delenv("STIXFLOW_TOKEN", raising=False)
    runner = CliRunner(mix_stderr=False)

    def invoke(group: str, *args: str, ok: bool = True) -> Result:
        remote_args = [group, "--url", remote.url, "--token", remote.token]
        result = runner.invoke(cli, [*remote_args, *args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output + result.stderr
        return result

    return invoke


def names(remote: Instance, path: str) -> list[str]:
    return [item["name"] for item in remote.call("GET", path)]


def test_taxii_collection_life_cycle(run: Run, remote: Instance) -> None:
    added = run(
        "taxii", "collections", "add", "amber", "--marking", "TLP:AMBER", "--type", "malware"
    )
    assert "\tamber\t" in added.output and "marking-definition--" in added.output
    assert names(remote, "/api/taxii/collections") == ["amber"]
    assert "\tamber\t" in run("taxii", "collections", "list").output
    assert "stopped" in run("taxii", "collections", "stop", "amber").output
    assert remote.call("GET", "/api/taxii/collections/amber")["running"] is False
    assert "stopped" not in run("taxii", "collections", "start", "amber").output
    assert "already" in run("taxii", "collections", "add", "amber", ok=False).stderr
    assert "deleted amber" in run("taxii", "collections", "delete", "amber").output
    assert names(remote, "/api/taxii/collections") == []
    assert run("taxii", "collections", "list").output == ""


def test_live_stream_definition_life_cycle(run: Run, remote: Instance) -> None:
    added = run("streams", "add", "public feed", "--public", "--type", "indicator")
    assert "\tpublic feed\t" in added.output and added.output.rstrip().endswith("public")
    assert names(remote, "/api/streams") == ["public feed"]
    assert "public, stopped" in run("streams", "stop", "public feed").output
    assert "public feed" in run("streams", "list").output
    assert "deleted public feed" in run("streams", "delete", "public feed").output
    assert names(remote, "/api/streams") == []


def test_taxii_push_life_cycle(run: Run, remote: Instance) -> None:
    created = run("ingest", "taxii-push", "add", "partner", "--confidence-to-score")
    assert "\tpartner\tstopped\t/taxii2/root/collections/" in created.output
    assert names(remote, "/api/ingestion/taxii-push") == ["partner"]
    assert "\tpartner\trunning\t" in run("ingest", "taxii-push", "start", "partner").output
    assert remote.call("GET", "/api/ingestion/taxii-push/partner")["running"] is True
    assert "\tpartner\t" in run("ingest", "taxii-push", "list").output
    assert "\tpartner\tstopped\t" in run("ingest", "taxii-push", "stop", "partner").output
    assert "\tpartner\t" in run("ingest", "taxii-push", "show", "partner").output
    assert "deleted partner" in run("ingest", "taxii-push", "delete", "partner").output
    assert names(remote, "/api/ingestion/taxii-push") == []
    assert "partner" in run("ingest", "taxii-push", "show", "partner", ok=False).stderr


def test_live_stream_synchroniser_life_cycle(
    run: Run, remote: Instance, platform: Instance
) -> None:
    stream = platform.call("POST", "/api/streams", json={"name": "everything"})["id"]
    source = ["--uri", platform.url, "--token", platform.token]
    offered = run("ingest", "live-stream", "remote-streams", *source)
    assert f"{stream}\teverything\t" in offered.output

    added = run("ingest", "live-stream", "add", "follow", *source, "--stream", stream)
    assert f"\tfollow\tstopped\t{platform.url}/stream/{stream}\t" in added.output
    assert names(remote, "/api/ingestion/live-streams") == ["follow"]
    assert "\tfollow\t" in run("ingest", "live-stream", "list").output
    assert "\tfollow\tstopped\t" not in run("ingest", "live-stream", "start", "follow").output
    assert remote.call("GET", "/api/ingestion/live-streams/follow")["running"] is True
    assert "\tfollow\tstopped\t" in run("ingest", "live-stream", "stop", "follow").output
    reset = run("ingest", "live-stream", "reset", "follow")
    assert "\tfollow\t" in reset.output and "purged" in reset.output
    assert "deleted follow" in run("ingest", "live-stream", "delete", "follow").output
    assert names(remote, "/api/ingestion/live-streams") == []

    wrong = run("ingest", "live-stream", "add", "bad", *source, "--stream", "nope", ok=False)
    assert "no live stream nope" in wrong.stderr
