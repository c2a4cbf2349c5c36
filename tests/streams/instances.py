"""Real ``stixflow serve`` processes on loopback, each with its own SQLite database and worker.

``Instance`` starts ``python -m stixflow serve`` in its own process group (so a kill takes its
worker processes too), with a fixed admin token and a one-second manager interval, and talks to
it over HTTP.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import LOOPBACK_JSON
from tests.taxii.conftest import free_port

TOKEN_PREFIX = "sfx_test-instance-token-"


class Instance:
    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        self.port = free_port()
        self.token = f"{TOKEN_PREFIX}{name}-0123456789abcdef"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "STIXFLOW_DATABASE_URL": f"sqlite:///{self.folder}/{self.name}.db",
            "STIXFLOW_BROKER_URL": "embedded",
            "STIXFLOW_ADMIN_TOKEN": self.token,
            "STIXFLOW_HTTP_PORT": str(self.port),
            "STIXFLOW_WORKERS": "1",
            "STIXFLOW_INGESTION_MANAGER__INTERVAL": "1",
            "STIXFLOW_CONFIG": str(self.folder / "absent.toml"),
            "STIXFLOW_OUTBOUND__ALLOW": LOOPBACK_JSON,
        }

    def command(self) -> list[str]:
        """How the server is started (the test environment's stixflow by default)."""
        return [sys.executable, "-m", "stixflow", "serve"]

    def start(self, *, timeout: float = 30.0) -> Instance:
        with open(self.folder / f"{self.name}.log", "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self.env(),
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            try:
                if self.http.get("/health").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the server and its workers: nothing is shut down cleanly."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def close(self) -> None:
        self.stop()
        self.http.close()

    def log_tail(self) -> str:
        path = self.folder / f"{self.name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    # -- HTTP ----------------------------------------------------------------------------

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, path, **kwargs)
        if answer.status_code >= 400:
            raise AssertionError(f"{self.name} {method} {path}: {answer.status_code} {answer.text}")
        return None if answer.status_code == 204 else answer.json()

    def push(self, *objects: dict[str, Any]) -> str:
        """Import objects and wait until the work completes; the work id."""
        body = {
            "type": "bundle",
            "id": "bundle--00000000-0000-4000-8000-000000000000",
            "objects": list(objects),
        }
        work = self.call("POST", "/api/bundles", json=body)["work_id"]
        deadline = time.monotonic() + 60
        while self.call("GET", f"/api/works/{work}")["status"] != "complete":
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: work {work} did not complete")
            time.sleep(0.05)
        return str(work)

    def objects(self, *types: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"type": list(types), "limit": 1000}
            if cursor:
                params["cursor"] = cursor
            page = self.call("GET", "/api/objects", params=params)
            found.update((obj["id"], obj) for obj in page["objects"])
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    def get(self, object_id: str) -> dict[str, Any] | None:
        answer = self.http.get(f"/api/objects/{object_id}")
        return answer.json()["object"] if answer.status_code == 200 else None


def wait_for(condition: Any, *, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
