"""A first run without surprises (issue 19): one data location, a CLI that never creates an empty
platform by accident, the admin-token hint, the README's example bundle, local feeds with a
creator."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from stixflow.access.bootstrap import ensure_admin
from stixflow.cli.main import cli
from stixflow.config import load_settings
from stixflow.runtime import open_runtime
from tests.api.conftest import admin_token, client  # noqa: F401  (shared fixtures)
from tests.ingest.conftest import feeds  # noqa: F401  (shared fixture)
from tests.ingest.servers import FeedServer, Route
from tests.ingest.test_rss import rss
from tests.streams.instances import Instance
from tests.support import LOOPBACK_JSON, drain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder to run from, with a data directory of its own and no database settings."""
    for name in ("STIXFLOW_DATABASE_URL", "STIXFLOW_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STIXFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_command_never_creates_a_database(elsewhere: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stixflow", "objects", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    expected = elsewhere / "data" / "stixflow.db"
    assert f"no stixflow database at {expected}" in result.stderr
    assert "stixflow migrate" in result.stderr
    assert not expected.exists() and not (elsewhere / "stixflow.db").exists()
    assert not any(elsewhere.rglob("*.db"))


def test_info_shows_where_the_data_lives_and_migrate_creates_it_there(elsewhere: Path) -> None:
    runner = CliRunner(mix_stderr=False)
    shown = runner.invoke(cli, ["info"]).output
    assert f"data directory: {elsewhere / 'data'}" in shown
    assert "not created yet" in shown
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert (elsewhere / "data" / "stixflow.db").is_file()
    assert "not created yet" not in runner.invoke(cli, ["info"]).output
    assert runner.invoke(cli, ["objects", "list"]).exit_code == 0


DAY = "Mon, 01 Jan 2024 10:00:00 GMT"


def test_local_cli_feeds_have_a_creator_and_a_data_creation_user(
    elsewhere: Path,
    feeds: FeedServer,  # noqa: F811
) -> None:
    url = feeds.serve("/feed", Route(rss(("One", "https://blog.example.org/1", DAY))))
    runner = CliRunner(mix_stderr=False)
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    runtime = open_runtime(load_settings())
    try:
        admin_id = ensure_admin(runtime.db, runtime.settings).user_id  # as serve's first start
        added = runner.invoke(
            cli,
            ["ingest", "rss", "add", "blog", url],  # checked at creation: it must answer
        )
        assert added.exit_code == 0, added.output + added.stderr
        with runtime.db.read() as tx:
            row = tx.fetchone("SELECT user_id, created_by FROM ingesters WHERE name = 'blog'")
    finally:
        runtime.close()
    assert tuple(row) == (admin_id, admin_id)


def test_the_readme_example_bundle_imports(client: TestClient) -> None:  # noqa: F811
    readme = (ROOT / "README.md").read_text()
    assert "--data-binary @examples/bundle.json" in readme
    body = (ROOT / "examples" / "bundle.json").read_bytes()
    accepted = client.post("/api/bundles", content=body)
    assert accepted.status_code == 202, accepted.text
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    work = drain(runtime, accepted.json()["work_id"])
    assert (work.processed, work.failed) == (len(json.loads(body)["objects"]), 0)
    found = client.get("/api/objects", params={"type": "malware", "text": "emotet"}).json()
    assert [o["name"] for o in found["objects"]] == ["Emotet"]


class FreshInstance(Instance):
    """``serve`` with no admin token in its settings (the token is printed at first start)."""

    def env(self) -> dict[str, str]:
        env = super().env()
        env.pop("STIXFLOW_ADMIN_TOKEN")
        return env


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[FreshInstance]:
    instance = FreshInstance("fresh", tmp_path)
    yield instance
    instance.close()


def test_a_restart_says_how_to_get_a_new_admin_token(fresh: FreshInstance) -> None:
    fresh.start()
    fresh.stop()
    first = fresh.log_tail()
    assert "admin token (shown once, keep it): sfx_" in first
    fresh.start()
    fresh.stop()
    again = fresh.log_tail()[len(first) :]
    assert "shown once" not in again
    assert "stixflow users token create admin@stixflow.local" in again
    made = subprocess.run(
        [sys.executable, "-m", "stixflow", "users", "token", "create", "admin@stixflow.local"],
        env=fresh.env(),
        cwd=fresh.folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0 and "token (shown once, keep it): sfx_" in made.stdout
