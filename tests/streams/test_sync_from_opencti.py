"""A stixflow follows a remote that speaks exactly as an OpenCTI platform does (event ids
``<ms>-<n>``, envelope version 4, heartbeats whose data is a date, OpenCTI's extension with its
bookkeeping): the remote is a loopback HTTP server replaying recorded-shape events and honouring
``Last-Event-ID``. An event of another version is skipped and reported in the health, not a
reason to stop."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from stixflow.stix.octi import OCTI_EXTENSION
from tests.streams.instances import Instance, wait_for
from tests.support import malware

pytestmark = [pytest.mark.timeout(120)]
BEAT = "2025-01-01T00:00:00.000Z"  # OpenCTI's heartbeat data: a date


def opencti_object(obj: dict[str, Any], score: int) -> dict[str, Any]:
    extension = {
        "extension_type": "property-extension",
        "id": str(uuid.uuid4()),  # the remote's internal id
        "type": "Malware",
        "created_at": "2025-01-01T00:00:00.000Z",
        "updated_at": "2025-01-01T00:00:00.000Z",
        "creator_ids": [str(uuid.uuid4())],
        "is_inferred": False,
        "score": score,
    }
    return {**obj, "extensions": {OCTI_EXTENSION: extension}}


class OpenCtiRemote:
    def __init__(self, events: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.events = events  # (id, event type, envelope)
        self.positions: list[str | None] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                node = {"id": "s1", "name": "OpenCTI stream", "description": "", "filters": None}
                body = {"data": {"streamCollections": {"edges": [{"node": node}]}}}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                after = self.headers.get("Last-Event-ID")
                remote.positions.append(after)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self._send("connected", None, {"connectionId": str(uuid.uuid4())})
                if "recover" not in self.path and after is None:
                    return self._beat_forever("0-0")  # a validation: nothing more needed
                last = after or "0-0"
                for event_id, kind, body in remote.events:
                    if _key(event_id) > _key(after or "0-0"):
                        self._send(kind, event_id, body)
                        last = event_id
                self._beat_forever(last)

            def _beat_forever(self, last: str) -> None:
                try:
                    for _ in range(60):
                        self._send("heartbeat", last, None, raw=BEAT)
                        time.sleep(0.5)
                except OSError:
                    return

            def _send(self, kind: str, event_id: str | None, body: Any, raw: str = "") -> None:
                head = f"id: {event_id}\n" if event_id else ""
                data = raw or json.dumps(body)
                self.wfile.write(f"{head}event: {kind}\ndata: {data}\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _key(event_id: str) -> tuple[int, int]:
    head, _, tail = event_id.partition("-")
    return int(head), int(tail or 0)


def envelope(kind: str, obj: dict[str, Any], version: str = "4") -> dict[str, Any]:
    return {
        "version": version,
        "type": kind,
        "scope": "external",
        "message": f"{kind}s",
        "origin": {"user_id": "x"},
        "data": obj,
        "context": {},
    }


@pytest.fixture
def b(tmp_path: Path) -> Iterator[Instance]:
    instance = Instance("b", tmp_path).start()
    yield instance
    instance.close()


def test_b_follows_an_opencti_shaped_remote(b: Instance) -> None:
    first = opencti_object(malware(f"from opencti {uuid.uuid4()}"), 70)
    odd = opencti_object(malware(f"version 3 {uuid.uuid4()}"), 10)
    second = opencti_object(malware(f"after it {uuid.uuid4()}"), 20)
    remote = OpenCtiRemote(
        [
            ("1733000000000-0", "create", envelope("create", first)),
            ("1733000000001-0", "create", envelope("create", odd, version="3")),
            ("1733000000002-0", "create", envelope("create", second)),
            ("1733000000003-0", "delete", envelope("delete", first)),
        ]
    )
    body = {
        "name": "from opencti",
        "uri": remote.url,
        "token": "opencti-token",
        "stream_id": "s1",
        "running": True,
        "synchronized": True,
    }
    sync = b.call("POST", "/api/ingestion/live-streams", json=body)
    wait_for(lambda: b.get(second["id"]) is not None, what="the event after the skipped one")
    stored = b.get(second["id"])
    assert stored is not None and stored["extensions"] == {
        OCTI_EXTENSION: {"extension_type": "property-extension", "score": 20}
    }
    assert b.get(odd["id"]) is None
    wait_for(lambda: b.get(first["id"]) is None, what="the deletion")
    health = b.call("GET", f"/api/ingestion/live-streams/{sync['id']}")["health"]
    assert "1733000000001-0 skipped" in (health["last_error"] or "")
    wait_for(
        lambda: b.call("GET", f"/api/ingestion/live-streams/{sync['id']}")["health"][
            "last_event_id"
        ]
        == "1733000000003-0",
        what="the checkpoint at the remote's last position",
    )
