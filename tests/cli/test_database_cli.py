"""``stixflow db stats|prune-events|rebuild-search`` and ``objects list --text``, on every pair."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from stixflow.cli.main import cli
from stixflow.runtime import Runtime
from stixflow.store.base import Provenance
from tests.conftest import Pair
from tests.support import malware


@pytest.fixture
def run(pair: Pair, runtime: Runtime, monkeypatch: pytest.MonkeyPatch):
    for key in ("STIXFLOW_DATABASE_URL", "STIXFLOW_BROKER_URL", "STIXFLOW_SECRET_KEY"):
        monkeypatch.setenv(key, pair.env[key])
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def _write(runtime: Runtime, objects: list[dict], at: str) -> None:
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, objects, provenance=Provenance(at, None, "test"))


def test_stats_shows_what_takes_the_space(run, runtime: Runtime, pair: Pair) -> None:
    _write(runtime, [malware(f"Sample {n}", description="x" * 500) for n in range(50)], "2024")
    out = run("db", "stats").splitlines()
    tables = {line.split()[0]: line.split() for line in out[1:-1]}
    assert {"objects", "stream_events", "object_sources"} <= tables.keys()
    if runtime.db.dialect == "sqlite":
        assert "objects_fts" in tables  # the search index counted as one table
        assert not any(name.startswith("objects_fts_") for name in tables)
    assert int(tables["objects"][1]) == 50 or runtime.db.dialect == "postgresql"
    assert out[-1].startswith("database")


def test_prune_events_then_stats_tell_where_history_starts(run, runtime: Runtime) -> None:
    sample = malware("Pruned")
    _write(runtime, [sample], "2020-01-01T00:00:00.000Z")
    newer = {**sample, "modified": "2031-01-01T00:00:00.000Z", "description": "newer"}
    _write(runtime, [newer], "2020-02-01T00:00:00.000Z")
    out = run("db", "prune-events", "--days", "30")
    assert "removed 1 events" in out
    assert "event history kept after event" in out
    assert "event history kept after event" in run("db", "stats")
    assert "removed 0 events" in run("db", "prune-events", "--days", "30")


def test_text_search_from_the_command_line_after_a_rebuild(run, runtime: Runtime) -> None:
    _write(runtime, [malware("Quietcrane"), malware("Loudcrane"), malware("Other")], "2024")
    assert "search index rebuilt" in run("db", "rebuild-search")
    listed = run("objects", "list", "--text", "quietcrane")
    assert "Quietcrane" in listed and "Loudcrane" not in listed
    both = run("objects", "list", "--text", "crane").splitlines()
    assert len([line for line in both if "crane" in line]) == 2
