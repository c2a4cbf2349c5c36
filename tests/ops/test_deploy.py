"""The systemd units in deploy/systemd are valid (``systemd-analyze verify``), pointed at this
environment's ``stixflow``, and run the commands docs/operations.md describes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/stixflow/bin/stixflow"


@pytest.mark.parametrize(
    ("unit", "as_name", "command"),
    [
        ("stixflow.service", "stixflow.service", "serve"),
        ("stixflow-worker@.service", "stixflow-worker@1.service", "worker --name worker-%i"),
    ],
)
def test_units_verify(tmp_path: Path, unit: str, as_name: str, command: str) -> None:
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.skip("systemd-analyze is not installed here")
    text = (UNITS / unit).read_text()
    assert f"ExecStart={INSTALLED} {command}\n" in text
    stixflow = Path(sys.executable).with_name("stixflow")
    (tmp_path / as_name).write_text(text.replace(INSTALLED, str(stixflow)))
    done = subprocess.run(
        [verify, "verify", f"./{as_name}"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bad" not in (done.stdout + done.stderr).lower()
    docs = (ROOT / "docs" / "operations.md").read_text()
    assert f"deploy/systemd/{unit}" in docs
