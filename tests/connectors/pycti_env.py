"""pycti in its own virtual environment (it pins requests<2.34 and more; peers.md §1.6), built
once under ``.venv/pycti-<version>`` and reused. Without a package registry the pycti tests are
skipped with the reason (in CI they fail instead)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.connectors.venv_lock import building

PYCTI_VERSION = "7.261026.0"
ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / f"pycti-{PYCTI_VERSION}"
TEMPLATE = Path(__file__).resolve().parent / "pycti_template"


def build_pycti() -> Path:
    """Build pycti's virtual environment unless it is there; its python (raises
    ``subprocess.CalledProcessError`` when pip cannot install it)."""
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    with building(VENV):
        if marker.is_file():
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"pycti=={PYCTI_VERSION}"],
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
        )
        marker.write_text(PYCTI_VERSION)
        return python


def pycti_python() -> Path:
    try:
        return build_pycti()
    except subprocess.CalledProcessError as exc:
        reason = f"cannot install pycti=={PYCTI_VERSION}: {(exc.stderr or '')[-400:]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def run_connector(
    python: Path, env: dict[str, str], *, timeout: float = 240.0
) -> subprocess.CompletedProcess[str]:
    """Run the template connector once (``CONNECTOR_DURATION_PERIOD=0``: run and terminate)."""
    done = subprocess.run(
        [str(python), "main.py"],
        cwd=TEMPLATE,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done
