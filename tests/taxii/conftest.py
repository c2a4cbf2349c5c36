"""TAXII fixtures: the app served on loopback (taxii2-client speaks real HTTP), tokens, a worker."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest
import uvicorn

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.bootstrap import ensure_admin
from stixflow.access.capabilities import Capability
from stixflow.access.schemas import GroupCreate, TokenCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.api.app import create_app
from stixflow.runtime import Runtime
from stixflow.worker.loop import Worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The real app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, runtime: Runtime) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(runtime), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live(runtime: Runtime) -> Iterator[LiveServer]:
    with LiveServer(runtime) as server:
        yield server


@pytest.fixture
def admin_token(runtime: Runtime) -> str:
    token = ensure_admin(runtime.db, runtime.settings).token
    assert token
    return token


@pytest.fixture
def make_user(runtime: Runtime) -> Callable[..., tuple[str, str]]:
    """(user id, token) of a new user in a new group with these capabilities and markings."""
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)

    def make(*capabilities: Capability, allowed: Sequence[str] = ()) -> tuple[str, str]:
        name = f"u{time.monotonic_ns() % 10**10}"
        group = service.create_group(
            GroupCreate(
                name=f"group of {name}",
                capabilities=list(capabilities),
                allowed_markings=list(allowed),
            )
        )
        user = service.create_user(
            UserCreate(email=f"{name}@example.org", name=name, groups=[group.id])
        )
        return user.id, service.create_token(user.id, TokenCreate(name="test")).token

    return make


@pytest.fixture
def worker(runtime: Runtime) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=Worker(runtime, name="taxii-test").run, args=(stop,))
    thread.start()
    yield
    stop.set()
    thread.join(10)
