"""``stixflow db stats|prune-events|rebuild-search|repack`` and ``objects list --text``, on
every pair."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner

from stixflow.cli.main import cli
from stixflow.runtime import Runtime
from stixflow.store import rows
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
    end = next(i for i, line in enumerate(out) if line.startswith("database"))
    tables = {line.split()[0]: line.split() for line in out[1:end]}
    assert {"objects", "stream_events", "object_sources"} <= tables.keys()
    if runtime.db.dialect == "sqlite":
        assert "objects_fts" in tables  # the search index counted as one table
        assert not any(name.startswith("objects_fts_") for name in tables)
    assert int(tables["objects"][1]) == 50 or runtime.db.dialect == "postgresql"
    # every body packed: 50 of about 700 bytes of JSON each, in well under 10 KiB
    assert out[end + 1].startswith("object bodies: 50 packed, 0 JSON text")
    held = out[end + 1].split(", ")[-1].removesuffix(" in all")
    assert held.endswith(" B") or float(held.split()[0]) < 10
    assert out[end + 2] == "events: 50, 50 of them with their version in the object's row"


def test_stats_counts_bodies_written_before_0017(run, runtime: Runtime) -> None:
    old, new = malware("Written before"), malware("Written now")
    with runtime.db.transaction() as tx:
        tx.execute(
            f"INSERT INTO objects ({rows.OBJECT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows.object_row(old, "2024", "2024", body=orjson.dumps(old)),  # JSON, as before 0017
        )
    _write(runtime, [new], "2024")
    _write(runtime, [{**new, "description": "v2", "modified": "2031-01-01T00:00:00.000Z"}], "2025")
    out = run("db", "stats")
    assert "object bodies: 1 packed, 1 JSON text (written before migration 0017)" in out
    assert "events: 2, 1 of them with their version in the object's row" in out
    assert run("db", "repack").strip() == "packed 1 object bodies and 0 events"
    assert "object bodies: 2 packed, 0 JSON text" in run("db", "stats")


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
