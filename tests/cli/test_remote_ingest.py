"""``stixflow ingest`` and ``stixflow csv-mappers`` against a running instance with
``--url``/``--token``: feeds served from loopback, nothing written to the local database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stixflow.cli.main import cli
from tests.csvmap.support import MAPPERS
from tests.ingest.servers import FeedServer, Route
from tests.ingest.test_rss import rss
from tests.streams.instances import Instance, wait_for
from tests.support import LOOPBACK_JSON

Run = Callable[..., Result]
FEODO = "csv/feodo_ipblocklist_2024-03-26_23-30-15.csv"
ITEMS = (
    ("Wizard Spider returns", "https://vendor.example/a", "Mon, 01 Apr 2024 10:00:00 GMT"),
    ("New loader seen", "https://vendor.example/b", "Tue, 02 Apr 2024 10:00:00 GMT"),
)


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    instance = Instance("remote", tmp_path_factory.mktemp("remote")).start()
    yield instance
    instance.close()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remote: Instance) -> Run:
    """``stixflow GROUP --url … --token … ARGS`` (the local database stays empty)."""
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/local.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    monkeypatch.delenv("STIXFLOW_URL", raising=False)
    monkeypatch.delenv("STIXFLOW_TOKEN", raising=False)
    runner = CliRunner(mix_stderr=False)

    def invoke(group: str, *args: str, ok: bool = True, token: str | None = None) -> Result:
        remote_args = [group, "--url", remote.url, "--token", token or remote.token]
        result = runner.invoke(cli, [*remote_args, *args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output + result.stderr
        return result

    return invoke


def names(remote: Instance, kind: str) -> list[str]:
    return [feed["name"] for feed in remote.call("GET", f"/api/ingestion/{kind}")]


def queue_depth(remote: Instance, kind: str, name: str) -> int:
    return remote.call("GET", f"/api/ingestion/{kind}/{name}")["health"]["queue_depth"]


def test_rss_feed_life_cycle(run: Run, remote: Instance, feeds: FeedServer) -> None:
    url = feeds.serve("/feed.xml", Route(rss(*ITEMS)))
    added = run("ingest", "rss", "add", "blog", url, "--description", "a vendor blog")
    assert "\trss\tblog\t" in added.output
    assert names(remote, "rss") == ["blog"]
    assert "\tblog\t" in run("ingest", "rss", "list").output
    assert '"name": "blog"' in run("ingest", "rss", "show", "blog").output
    assert "\tstopped\t" not in run("ingest", "rss", "start", "blog").output
    assert remote.call("GET", "/api/ingestion/rss/blog")["running"] is True
    assert "\tstopped\t" in run("ingest", "rss", "stop", "blog").output

    preview = run("ingest", "rss", "test", "probe", url)
    assert "Wizard Spider returns" in preview.output
    assert "objects would be created" in preview.stderr
    assert names(remote, "rss") == ["blog"]

    # the run started above queued its items; once the instance's worker has taken them, a
    # reset has nothing left to purge
    wait_for(lambda: queue_depth(remote, "rss", "blog") == 0, what="the worker to drain the feed")
    assert "purged 0 queued messages" in run("ingest", "rss", "reset", "blog").output
    refused = run("ingest", "rss", "run", "blog", ok=False)
    assert "local database" in refused.stderr
    assert "deleted blog" in run("ingest", "rss", "delete", "blog").output
    assert names(remote, "rss") == []
    assert "no rss ingester blog" in run("ingest", "rss", "show", "blog", ok=False).stderr


def test_csv_mapper_and_feed(
    run: Run, remote: Instance, feeds: FeedServer, data_dir: Path, tmp_path: Path
) -> None:
    sample = (data_dir / FEODO).read_bytes()
    url = feeds.serve("/feodo.csv", Route(sample, content_type="text/csv"))
    mapper = MAPPERS / "feodo.json"
    name = "Feodo Tracker C2 IPs"
    assert name in run("csv-mappers", "add", str(mapper)).output
    assert name in run("csv-mappers", "list").output
    assert '"has_header": true' in run("csv-mappers", "show", name).output
    tested = run("csv-mappers", "test", name, "--file", str(data_dir / FEODO))
    assert "0 rows not mapped" in tested.stderr
    assert "0 rows not mapped" in run("csv-mappers", "test", name, "--url", url).stderr

    added = run("ingest", "csv", "add", "feodo", url, "--mapper", name)
    assert "\tcsv\tfeodo\t" in added.output
    assert "\tfeodo\t" in run("ingest", "csv", "list").output
    assert "\tstopped\t" not in run("ingest", "csv", "start", "feodo").output
    assert "\tstopped\t" in run("ingest", "csv", "stop", "feodo").output
    preview = run("ingest", "csv", "test", "probe", url, "--mapper", name)
    assert '"type": "indicator"' in preview.output
    assert "feodo-copy" in run("ingest", "csv", "duplicate", "feodo").output
    assert "purged" in run("ingest", "csv", "reset", "feodo").output
    refused = run("csv-mappers", "delete", name, ok=False)
    assert refused.exit_code != 0
    for feed in ("feodo", "feodo-copy"):
        assert f"deleted {feed}" in run("ingest", "csv", "delete", feed).output
    assert f"deleted {name}" in run("csv-mappers", "delete", name).output
    assert run("csv-mappers", "list").output == ""


def test_wrong_token_is_refused(run: Run) -> None:
    refused = run("ingest", "rss", "list", ok=False, token="sfx_wrong-token")
    assert refused.exit_code != 0
    assert "Error:" in refused.stderr and "token" in refused.stderr.lower()
    refused = run("csv-mappers", "list", ok=False, token="sfx_wrong-token")
    assert "token" in refused.stderr.lower()


def test_url_needs_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STIXFLOW_TOKEN", raising=False)
    result = CliRunner(mix_stderr=False).invoke(
        cli, ["ingest", "--url", "http://127.0.0.1:9", "rss", "list"]
    )
    assert result.exit_code == 2 and "--url needs --token" in result.stderr
