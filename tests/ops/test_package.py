"""The package works wherever it is installed: a wheel built from the repository, installed in a
fresh virtual environment (nothing from the repository on its path), serves a UI whose front-end
library loads in the real browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, UiInstance

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints.txt"


def _run(*command: str | Path, cwd: Path) -> None:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


def fresh_clone(into: Path) -> Path:
    """The repository's files as a fresh clone has them (what git ignores, such as the fetched
    front-end library and the virtual environments, left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    assert not (into / "src/stixflow/web/static/vendor/htmx.min.js").exists()
    return into


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a fresh clone the way a user would (pip's isolated build)."""
    clone = fresh_clone(tmp_path_factory.mktemp("clone"))
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, clone, cwd=out)
    (found,) = out.glob("stixflow-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed in a new virtual environment; its ``stixflow`` executable."""
    venv = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", venv, cwd=venv)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", "-c", CONSTRAINTS, wheel, cwd=venv)
    return venv / "bin" / "stixflow"


class InstalledInstance(UiInstance):
    """``stixflow serve`` from the installed wheel, run from an empty folder."""

    def __init__(self, executable: Path, folder: Path) -> None:
        super().__init__("installed", folder)
        self.executable = executable

    def command(self) -> list[str]:
        return [str(self.executable), "serve"]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in super().env().items() if k != "PYTHONPATH"}
        env.pop("STIXFLOW_DATABASE_URL")
        return {**env, "STIXFLOW_DATA_DIR": str(self.folder / "data")}


@pytest.fixture
def server(installed: Path, tmp_path: Path) -> Iterator[InstalledInstance]:
    instance = InstalledInstance(installed, tmp_path).start(timeout=60)
    yield instance
    instance.close()


def test_the_wheel_carries_the_front_end_library(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "stixflow/web/static/vendor/htmx.min.js" in names
        assert len(archive.read("stixflow/web/static/vendor/htmx.min.js")) > 10_000


def test_an_installed_wheel_serves_a_working_ui(
    browser: object,
    server: InstalledInstance,
) -> None:
    assert (server.folder / "data" / "stixflow.db").is_file()  # in the data directory it was given
    context = browser.new_context(base_url=server.url)  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        assets = []
        page.on("response", lambda answer: assets.append((answer.url, answer.status)))
        page.goto("/login")
        page.fill("#login-email", ADMIN_EMAIL)
        page.fill("#login-password", ADMIN_PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_selector(".whoami")
        page.wait_for_load_state("load")  # deferred scripts have run by the load event
        assert page.evaluate("typeof window.htmx") == "object"  # the library loaded and ran
        htmx = [status for url, status in assets if url.endswith("htmx.min.js")]
        assert htmx and all(status in (200, 304) for status in htmx), assets
    finally:
        context.close()
