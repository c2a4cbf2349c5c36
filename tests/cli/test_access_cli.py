"""``stixflow users|groups|orgs|markings|audit`` as an admin runs them: on the local database,
and against a running instance with ``--url``/``--token``."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner, Result

from stixflow.access.bootstrap import ensure_admin
from stixflow.api.app import create_app
from stixflow.cli.main import cli
from stixflow.config import load_settings
from stixflow.runtime import open_runtime
from tests.support import LOOPBACK, LOOPBACK_JSON

Run = Callable[..., Result]
TOKEN = re.compile(r"token \(shown once, keep it\): (sfx_\S+)")


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    monkeypatch.setenv("STIXFLOW_OUTBOUND__ALLOW", LOOPBACK_JSON)
    assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0  # only migrate creates
    monkeypatch.delenv("STIXFLOW_URL", raising=False)
    monkeypatch.delenv("STIXFLOW_TOKEN", raising=False)
    runner = CliRunner(mix_stderr=False)

    def invoke(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output + result.stderr
        return result

    return invoke


def test_every_access_command_has_help(run: Run) -> None:
    for command in (
        ["users", "list"],
        ["users", "add"],
        ["users", "show"],
        ["users", "delete"],
        ["users", "add-source"],
        ["users", "token", "create"],
        ["users", "token", "list"],
        ["users", "token", "revoke"],
        ["groups", "list"],
        ["groups", "add"],
        ["groups", "show"],
        ["groups", "update"],
        ["groups", "delete"],
        ["groups", "add-member"],
        ["groups", "remove-member"],
        ["orgs", "list"],
        ["orgs", "add"],
        ["orgs", "delete"],
        ["markings", "list"],
        ["markings", "add"],
        ["audit", "list"],
    ):
        assert "--url" in run(*command, "--help").output


def test_local_team_setup(run: Run) -> None:
    source = run("users", "add-source", "abuse.ch").output
    assert "[F] abuse.ch" in source and "groups: Connectors" in source
    assert TOKEN.search(source)
    assert "abuse.ch" in run("orgs", "list").output

    run("groups", "add", "Analysts", "--capability", "knowledge", "--allow", "TLP:GREEN")
    run("users", "add", "eve@example.org", "--name", "Eve", "--password", "long enough")
    run("groups", "add-member", "Analysts", "eve@example.org")
    shown = run("groups", "show", "Analysts").output
    assert "members: eve@example.org" in shown and "KNOWLEDGE" in shown
    run("groups", "update", "Analysts", "--capability", "explore")
    assert "EXPLORE" in run("groups", "show", "Analysts").output

    created = run("users", "token", "create", "eve@example.org", "--name", "laptop").output
    token_id = created.split("\t", 1)[0]
    assert TOKEN.search(created)
    assert "revoked" in run("users", "token", "revoke", token_id).output
    assert "revoked" in run("users", "show", "eve@example.org").output

    assert "Copyright abuse.ch" in run("markings", "add", "Copyright abuse.ch").output
    listed = run("markings", "list").output
    assert "TLP:RED" in listed and "Copyright abuse.ch" in listed

    refused = run("groups", "delete", "Connectors", ok=False)
    assert "cannot be deleted" in refused.stderr
    run("users", "delete", "eve@example.org")
    assert "eve@example.org" not in run("users", "list").output
    audit = run("audit", "list", "--action", "user").output
    assert "user.deleted" in audit and "user.source_added" in audit


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A stixflow API on a loopback port (sqlite-embedded); yields its URL and the admin token."""
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/server.db", outbound={"allow": LOOPBACK}
    )
    runtime = open_runtime(settings)
    token = ensure_admin(runtime.db, runtime.settings).token
    assert token
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert instance.started
    yield f"http://127.0.0.1:{port}", token
    instance.should_exit = True
    thread.join(timeout=20)
    runtime.close()


def test_remote_commands(run: Run, server: tuple[str, str]) -> None:
    url, admin = server
    remote = ("--url", url, "--token", admin)
    source = run("users", "add-source", "abuse.ch", *remote).output
    source_token = TOKEN.search(source)
    assert source_token
    assert "[F] abuse.ch" in run("users", "list", *remote).output
    assert "abuse.ch" in run("orgs", "list", *remote).output
    run("groups", "add", "Readers", "--capability", "KNOWLEDGE", *remote)
    assert "Readers" in run("groups", "list", *remote).output
    assert "TLP:AMBER" in run("markings", "list", *remote).output

    # the source's user is a connector, not an admin: SETTINGS is missing
    refused = run("users", "list", "--url", url, "--token", source_token.group(1), ok=False)
    assert "SETTINGS" in refused.stderr
    bad = run("users", "list", "--url", url, "--token", "sfx_wrong", ok=False)
    assert "token" in bad.stderr
    assert "user.source_added" in run("audit", "list", *remote).output


def test_remote_needs_a_token(run: Run) -> None:
    result = run("users", "list", "--url", "http://127.0.0.1:9", ok=False)
    assert "--token" in result.stderr
    unreachable = run("users", "list", "--url", "http://127.0.0.1:9", "--token", "x", ok=False)
    assert "cannot reach" in unreachable.stderr
