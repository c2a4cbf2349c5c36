"""JSON logs (``log_format = "json"``): one object per line, carrying the work and the source the
worker was handling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson

from tests.conftest import TEST_SECRET_KEY
from tests.support import bundle, malware


def test_an_inline_import_logs_json_lines_with_work_and_source(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(orjson.dumps(bundle(malware("Logged"), {"type": "malware", "id": "bad"})))
    env = {
        "PATH": "/usr/bin:/bin",
        "STIXFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
        "STIXFLOW_SECRET_KEY": TEST_SECRET_KEY,
        "STIXFLOW_CONFIG": "/nonexistent.toml",
        "STIXFLOW_LOG_FORMAT": "json",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "stixflow", "-v", *args], env=env, capture_output=True, text=True
        )

    assert run("migrate").returncode == 0
    done = run("import", str(path), "--inline", "--source", "partner-feed")
    assert done.returncode == 0, done.stderr
    # standard error also carries the progress bar; every log record is one JSON line
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    handled = [line for line in lines if line["logger"] == "stixflow.worker" and line["work_id"]]
    assert handled, lines
    assert {line["source"] for line in handled} == {"partner-feed"}
