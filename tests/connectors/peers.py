"""Real OpenCTI connectors from ``../shared/peers/opencti-connectors`` (ORIGIN.md), each run
unmodified in a virtual environment of its own under ``.venv/peers/<name>``, built once from its
``requirements.txt`` as pinned. Two requirements name git URLs, which this machine cannot reach:
``connectors-sdk`` is installed from the copy beside the connectors (the same repository), and
``pymispwarninglists`` from PyPI (the same package, with its warning lists). Without a package
registry the tests are skipped with the reason (in CI they fail instead)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.connectors.pycti_env import build_pycti
from tests.connectors.venv_lock import building

ROOT = Path(__file__).resolve().parents[2]
PEERS = ROOT.parent / "shared" / "peers" / "opencti-connectors"
VENVS = ROOT / ".venv" / "peers"
SDK = PEERS / "connectors-sdk"

#: name -> (folder, the command run in ``src``)
CONNECTORS = {
    "tagger": ("internal-enrichment/tagger", ["connector.py"]),
    "hygiene": ("internal-enrichment/hygiene", ["-m", "src"]),
    "scoring-calculator": ("internal-enrichment/scoring-calculator", ["main.py"]),
    "backup-files": ("stream/backup-files", ["backup-files.py"]),
    "webhook": ("stream/webhook", ["webhook.py"]),
    "import-file-stix": ("internal-import-file/import-file-stix", ["main.py"]),
    "template-enrichment": ("templates/internal-enrichment", ["main.py"]),
    "template-stream": ("templates/stream", ["main.py"]),
    "template-import-file": ("templates/internal-import-file", ["main.py"]),
    "cisa-kev": ("external-import/cisa-known-exploited-vulnerabilities", ["main.py"]),
    "urlhaus": ("external-import/urlhaus", ["main.py"]),
}


def requirements(folder: Path) -> list[str]:
    """The connector's requirements, git URLs replaced by what this machine can install."""
    lines = []
    for raw in (folder / "src" / "requirements.txt").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("connectors-sdk"):
            line = str(SDK)
        elif "PyMISPWarningLists" in line:
            line = "pymispwarninglists"
        lines.append(line)
    return lines


class BuildFailed(Exception):
    """A peer's environment could not be installed (the reason is the message)."""


def build(name: str) -> Path:
    """Build ``name``'s virtual environment unless it is there; its python."""
    folder = PEERS / CONNECTORS[name][0]
    venv = VENVS / name
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    with building(venv):
        if marker.is_file():
            return python
        if not folder.is_dir():
            raise BuildFailed(f"peer connector not found at {folder}")
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", *requirements(folder)],
                check=True,
                capture_output=True,
                text=True,
                timeout=1500,
            )
        except subprocess.CalledProcessError as exc:
            raise BuildFailed(
                f"cannot install {name}'s requirements: {(exc.stderr or '')[-600:]}"
            ) from exc
        marker.write_text("ok")
        return python


def peer_python(name: str) -> Path:
    """The python of ``name``'s own virtual environment (built on first use)."""
    try:
        return build(name)
    except BuildFailed as exc:
        if os.environ.get("CI") or "not found" in str(exc):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


#: the test files whose tests run peers (their environments are worth building early)
PEER_TESTS = (
    "test_census_pycti.py",
    "test_enrichment_peers.py",
    "test_import_peers.py",
    "test_listen_peers.py",
    "test_pycti.py",
    "test_pycti_listen_stream.py",
    "test_stream_peers.py",
)


class Prebuild:
    """Every peer's environment built in the background, one after the other, while the tests
    that need none run (a test that needs one waits for its lock; a failure is reported by the
    test that needs it, which tries again). ``stop`` waits for the build under way."""

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="peer-venvs", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        with suppress(OSError, subprocess.SubprocessError):
            build_pycti()
        for name in CONNECTORS:
            if self._stopping.is_set():
                return
            with suppress(BuildFailed, OSError, subprocess.SubprocessError):
                build(name)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


class Peer:
    """A running connector process; its output goes to ``log`` (read it on failure)."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        folder, command = CONNECTORS[name]
        handle = log.open("ab")
        self.process = subprocess.Popen(
            [str(peer_python(name)), *command],
            cwd=PEERS / folder / ("" if name == "hygiene" else "src"),
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(log.parent), **env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)


@contextmanager
def running(name: str, env: dict[str, str], log: Path) -> Iterator[Peer]:
    peer = Peer(name, env, log)
    try:
        yield peer
    finally:
        peer.stop()


def wait_for(check, *, timeout: float = 90.0, peer: Peer | None = None, what: str = ""):  # type: ignore[no-untyped-def]
    """Poll ``check()`` until it returns something truthy; fail with the peer's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if peer is not None and not peer.alive:
            raise AssertionError(f"{peer.name} exited while waiting for {what}:\n{peer.output()}")
        time.sleep(0.3)
    log = peer.output() if peer is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")
