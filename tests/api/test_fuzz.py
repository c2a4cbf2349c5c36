"""Property-based fuzzing of the OpenAPI document (Schemathesis): no request makes a 500.

Runs on every back-end pair (what SQLite stores PostgreSQL must not answer with a 500), a bounded
number of examples per operation, as a user who holds every capability but the administrator's
``BYPASS`` (so that requests get past authentication into the handlers, and the checks a
non-administrator meets run too), through one in-process client per operation.
Operations whose job is to fetch a URL given in the request (the dry runs ``…/test`` of feed
settings) are left out: fuzzing them tests timeouts and retries, not the API. Anything else that
fetches may only reach loopback: every other address or host name is refused before any packet
leaves, and the resulting "remote source failed" (502) is an expected answer.
"""

from __future__ import annotations

import ipaddress
import socket
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from starlette_testclient import TestClient

from stixflow.access.bootstrap import ensure_admin
from stixflow.access.capabilities import Capability
from stixflow.api.app import create_app
from stixflow.runtime import Runtime

with warnings.catch_warnings():
    # schemathesis 3.39 subclasses jsonschema's deprecated RefResolver on import and warns about
    # its own deprecated filter arguments even when none is given: both are its business.
    warnings.simplefilter("ignore", DeprecationWarning)
    import schemathesis.specs.openapi.schemas

    schema = schemathesis.from_pytest_fixture("api_schema").exclude(
        path_regex=r"^/api/ingestion/.*/test$"
    )

MAX_EXAMPLES = 20
BASE_URL = "http://testserver"


@dataclass
class Target:
    schema: schemathesis.BaseSchema
    client: TestClient
    token: str


LOOPBACK_NAMES = {"localhost", "testserver"}


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fuzzed URL reaches anything but this machine (no DNS look-up either)."""
    resolve, connect = socket.getaddrinfo, socket.socket.connect

    def guarded_resolve(host: object, *args: Any) -> Any:
        if not _is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"fuzzing: {host!r} is not loopback")
        return resolve(host, *args)  # type: ignore[arg-type]

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"fuzzing: {address[0]!r} is not loopback")
        connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_resolve)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


#: Every capability but the administrator's.
NON_ADMIN = [capability for capability in Capability if capability != Capability.BYPASS]


@pytest.fixture
def target(
    runtime: Runtime, user_token: Callable[..., str], loopback_only: None
) -> Iterator[Target]:
    ensure_admin(runtime.db, runtime.settings)  # the platform as it starts: an admin exists
    # a refused feed check answers after a floor (1 s: tests/security/test_outbound.py); here
    # hundreds of fuzzed feed URLs are refused, and what is checked is the answer, not the wait
    runtime.settings.outbound.failure_floor_seconds = 0.0
    token = user_token(*NON_ADMIN)
    app = create_app(runtime)
    schemathesis.experimental.OPEN_API_3_1.enable()  # FastAPI documents OpenAPI 3.1
    with TestClient(app, base_url=BASE_URL) as client:
        yield Target(schemathesis.from_dict(app.openapi(), base_url=BASE_URL), client, token)
    _close_lifespan_streams(client)


def _close_lifespan_streams(client: TestClient) -> None:
    """starlette_testclient (schemathesis' requests-based ASGI client) leaves the anyio memory
    streams of its lifespan task open; closing them spares a ResourceWarning in a later test."""
    for stapled in (client.stream_send, client.stream_receive):
        stapled.send_stream.close()
        stapled.receive_stream.close()


@pytest.fixture
def api_schema(target: Target) -> schemathesis.BaseSchema:
    return target.schema


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # report the first failure as found: no shrinking
)
def test_no_request_makes_a_server_error(case: schemathesis.Case, target: Target) -> None:
    response = case.call(session=target.client, headers={"Authorization": f"Bearer {target.token}"})
    failed_upstream = response.status_code == 502  # a fetched source failed: not a server bug
    assert response.status_code < 500 or failed_upstream, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    )
