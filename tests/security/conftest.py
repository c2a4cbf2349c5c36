"""Hostile-user fixtures: a loopback "attacker" server that records every request it receives.

``attacker.url`` is its base URL; ``attacker.requests`` the requests received (method, path,
headers, body); ``attacker.answer(path, status=..., body=..., headers=...)`` sets what a path
answers (default: 200 with an empty CSV body; an empty RSS feed for ``*.xml`` paths and a
readable collection for TAXII collection paths, so that feeds pass their creation check). A
redirect is an answer with a ``Location`` header.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/csv"})


#: What a feed's URL answers by default, so that feeds pass their creation check
#: (``stixflow.ingest.verify``): an empty RSS feed, a readable TAXII collection, else empty CSV.
EMPTY_RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
COLLECTION = b'{"id": "partner-collection", "title": "partner", "can_read": true}'


def _default_answer(path: str) -> Answer:
    if path.endswith(".xml"):
        return Answer(body=EMPTY_RSS, headers={"Content-Type": "application/rss+xml"})
    if "/collections/" in path and not path.rstrip("/").endswith(("objects", "manifest")):
        return Answer(body=COLLECTION, headers={"Content-Type": "application/taxii+json"})
    return Answer()


class Attacker:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: dict[str, Answer] = {}
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with owner._lock:
                    owner.requests.append(
                        Received(self.command, self.path, dict(self.headers.items()), body)
                    )
                path = self.path.split("?", 1)[0]
                answer = owner.answers.get(path) or _default_answer(path)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(
        self,
        path: str,
        *,
        status: int = 200,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.answers[path] = Answer(status, data, headers or {"Content-Type": "text/csv"})

    def headers_seen(self, name: str) -> list[str]:
        """Every value of header ``name`` the server received (case-insensitive)."""
        wanted = name.lower()
        return [v for r in self.requests for k, v in r.headers.items() if k.lower() == wanted]


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    server = Attacker()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def partner() -> Iterator[Attacker]:
    """A second loopback server: the legitimate remote a feed is created for (its creation check
    fetches it), distinct from ``attacker``."""
    server = Attacker()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
