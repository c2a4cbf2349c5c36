"""A live stixflow on loopback for connector tests: the HTTP API (uvicorn), a worker, the
listen-callback courier and the enrichment dispatcher, in threads of the test process, on the
test's back-end pair; and a connector user's token."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.groups import CONNECTORS_ID
from stixflow.access.schemas import TokenCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.api.app import create_app
from stixflow.connectors.callbacks import CallbackCourier
from stixflow.connectors.enrichment import EnrichmentDispatcher
from stixflow.runtime import Runtime
from stixflow.worker.loop import Worker


@dataclass
class Live:
    url: str
    runtime: Runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_stixflow(runtime: Runtime) -> Iterator[Live]:
    port = free_port()
    config = uvicorn.Config(
        create_app(runtime), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    stop = threading.Event()
    threads = [
        threading.Thread(target=server.run, daemon=True),
        threading.Thread(target=Worker(runtime, name="live").run, args=(stop,), daemon=True),
    ]
    courier = CallbackCourier(runtime)  # pycti's HTTP listen mode, as ``serve`` runs it
    courier.start()
    dispatcher = EnrichmentDispatcher(runtime, interval=0.5)  # automatic enrichment, as ``serve``
    dispatcher.start()
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", runtime)
    finally:
        server.should_exit = True
        stop.set()
        courier.stop()
        dispatcher.stop()
        for thread in threads:
            thread.join(15)


def connector_token(runtime: Runtime, name: str) -> tuple[str, str]:
    """(user id, token) of a ``[C] name`` user in the Connectors group."""
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    user = service.create_user(
        UserCreate(
            email=f"c-{uuid.uuid4().hex[:8]}@connectors.example.org",
            name=f"[C] {name}",
            groups=[CONNECTORS_ID],
        )
    )
    return user.id, service.create_token(user.id, TokenCreate(name=name)).token
