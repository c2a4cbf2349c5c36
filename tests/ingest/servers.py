"""Real peers on loopback for the ingestion tests: medallion (TAXII 2.1) and a feed server.

``Medallion`` writes medallion's data file itself from a real STIX corpus (one API root, one
collection, a manifest entry per object with increasing ``date_added``), starts medallion as a
subprocess on a free port with its memory back end and a small page size, and stops it.
``FeedServer`` serves files (RSS/Atom, anything) over HTTP with ETag support, and can hang.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

API_ROOT = "api1"
COLLECTION = "9cfa669c-ee94-4ece-afd2-f8edac37d8fd"
SECRET_COLLECTION = "64993447-4d7e-4f70-b94d-d7f33742ee63"
USERS = {"admin": "Password0", "reader": "Reader-Pass1"}
TOKENS = {"token-of-reader-0123456789": "reader"}
TAXII = "application/taxii+json;version=2.1"
BASE_DATE = datetime(2020, 1, 1, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def medallion_data(objects: list[dict[str, Any]], base_url: str) -> dict[str, Any]:
    """medallion's memory-back-end document: one API root with a readable collection holding
    ``objects`` (``date_added`` one millisecond apart) and an unreadable one."""
    manifest = [
        {
            "id": obj["id"],
            "date_added": _stamp(BASE_DATE + timedelta(milliseconds=index)),
            "version": obj.get("modified", obj.get("created")),
            "media_type": "application/stix+json;version=2.1",
        }
        for index, obj in enumerate(objects)
    ]
    collection = {
        "id": COLLECTION,
        "title": "ICS ATT&CK",
        "can_read": True,
        "can_write": True,
        "media_types": ["application/stix+json;version=2.1"],
        "objects": objects,
        "manifest": manifest,
    }
    secret = {
        **collection,
        "id": SECRET_COLLECTION,
        "can_read": False,
        "objects": [],
        "manifest": [],
    }
    root = f"{base_url}/{API_ROOT}/"
    return {
        "/discovery": {"title": "test", "default": root, "api_roots": [root]},
        API_ROOT: {
            "information": {
                "title": "test root",
                "versions": [TAXII],
                "max_content_length": 50_000_000,
            },
            "status": [],
            "collections": [collection, secret],
        },
    }


@dataclass
class Medallion:
    folder: Path
    objects: list[dict[str, Any]]
    page_size: int = 100
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_root(self) -> str:
        return f"{self.base_url}/{API_ROOT}/"

    @property
    def objects_url(self) -> str:
        return f"{self.api_root}collections/{COLLECTION}/objects/"

    def start(self) -> Medallion:
        data = self.folder / "medallion-data.json"
        data.write_text(json.dumps(medallion_data(self.objects, self.base_url)))
        config = self.folder / "medallion-config.json"
        config.write_text(
            json.dumps(
                {
                    "backend": {
                        "module": "medallion.backends.memory_backend",
                        "module_class": "MemoryBackend",
                        "filename": str(data),
                        "session_timeout": 300,
                    },
                    "users": USERS,
                    "bearer_tokens": TOKENS,
                    "taxii": {"max_page_size": self.page_size},
                }
            )
        )
        script = Path(__file__).with_name("medallion_app.py")
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(config), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, "medallion exited"
            try:
                answer = httpx.get(
                    f"{self.base_url}/taxii2/",
                    headers={"Accept": TAXII},
                    auth=("admin", "Password0"),
                )
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("medallion did not start")

    def add(self, objects: list[dict[str, Any]]) -> None:
        """Add objects the TAXII way (TAXII 2.1 §5.5): they get today's ``date_added``."""
        answer = httpx.post(
            self.objects_url,
            content=json.dumps({"objects": objects}),
            headers={"Accept": TAXII, "Content-Type": TAXII},
            auth=("admin", "Password0"),
            timeout=60,
        )
        assert answer.status_code == 202, answer.text
        assert answer.json()["success_count"] == len(objects), answer.text

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    hang: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """A loopback HTTP server with routes that tests change while it runs."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_error(404)
                    return
                if route.hang:
                    server._stop.wait(route.hang)
                    return
                etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.send_header("ETag", etag)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
