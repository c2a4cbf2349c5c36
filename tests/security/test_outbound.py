"""Hostile users and the outbound request policy (issue 12, findings 2, 3 and 14).

A user holding only the INGESTION capability asks a running platform, through the endpoints a
person would call, to fetch internal addresses (itself, loopback in every spelling, private and
metadata ranges), to follow redirects there, to carry a feed's credentials to another host, and
to read remotes that answer the wrong shape. ``refusing`` is a platform with the default policy;
``allowing`` one whose settings allow 127.0.0.1 only (the loopback "attacker" servers stand for
real internal feeds there). Both have a short failure floor; timings are lower bounds only.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.capabilities import Capability
from stixflow.access.schemas import GroupCreate, TokenCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.api.app import create_app
from stixflow.config import OutboundSettings
from stixflow.connector.config import load_config
from stixflow.connector.fetch import fetch
from stixflow.errors import OutboundRefused
from stixflow.ingest.base import run_ingester
from stixflow.ingest.records import Ingester, IngesterRecords, new_ingester_id
from stixflow.ingest.registry import feed_kind
from stixflow.runtime import Runtime, open_runtime
from tests.conftest import Pair
from tests.security.conftest import Attacker

pytestmark = [pytest.mark.timeout(300)]

FLOOR = 0.3
MARKER = "s3cr3t-internal-page-7f1c"
ALLOWED = ["127.0.0.1/32"]
REFUSED = "refused by the outbound policy"
#: The finding's trick: one column, separator and quote never seen, so every line of any page
#: becomes the name of an object.
LEAK_MAPPER = {
    "name": "one line, one object",
    "separator": "\x1f",
    "quote": "\x1e",
    "skip_line_char": None,
    "strict_columns": False,
    "representations": [
        {
            "id": "line",
            "target": "intrusion-set",
            "attributes": [{"key": "name", "column": {"letter": "A"}}],
        }
    ],
}
SSE_CONNECTED = 'event: connected\ndata: {"connectionId": "c1"}\n\n'


@dataclass
class Platform:
    """A running stixflow (uvicorn on loopback) and an INGESTION-only user's client."""

    url: str
    runtime: Runtime
    http: httpx.Client
    mapper_id: str = ""

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, **kwargs)


@contextmanager
def serving(runtime: Runtime) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def ingestion_user_token(runtime: Runtime) -> str:
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    name = f"u{uuid.uuid4().hex[:8]}"
    group = service.create_group(
        GroupCreate(name=f"group of {name}", capabilities=[Capability.INGESTION])
    )
    user = service.create_user(
        UserCreate(email=f"{name}@example.org", name=name, groups=[group.id])
    )
    return service.create_token(user.id, TokenCreate(name="test")).token


@contextmanager
def platform_of(pair: Pair, *, allow: list[str]) -> Iterator[Platform]:
    outbound = OutboundSettings(allow=allow, failure_floor_seconds=FLOOR)
    runtime = open_runtime(pair.settings.model_copy(update={"outbound": outbound}))
    headers = {"Authorization": f"Bearer {ingestion_user_token(runtime)}"}
    try:
        with (
            serving(runtime) as url,
            httpx.Client(base_url=url, headers=headers, timeout=120) as http,
        ):
            platform = Platform(url, runtime, http)
            mapper = {**LEAK_MAPPER, "name": f"{LEAK_MAPPER['name']} {uuid.uuid4().hex[:6]}"}
            created = platform.post("/api/csv-mappers", json=mapper)
            assert created.status_code == 201, created.text
            platform.mapper_id = created.json()["id"]
            yield platform
    finally:
        if not pair.settings.is_embedded_broker:
            for queue in runtime.registry.names():
                runtime.queue.delete(queue)
        runtime.close()


@pytest.fixture
def refusing(pair: Pair) -> Iterator[Platform]:
    """The default policy: no allow-list."""
    with platform_of(pair, allow=[]) as platform:
        yield platform


@pytest.fixture
def allowing(pair: Pair) -> Iterator[Platform]:
    """127.0.0.1 allowed (where the loopback servers listen); nothing else."""
    with platform_of(pair, allow=ALLOWED) as platform:
        yield platform


# -- the endpoints a user calls to make the platform fetch a URL ---------------------------


def mapper_test(p: Platform, url: str) -> httpx.Response:
    return p.post(f"/api/csv-mappers/{p.mapper_id}/test", data={"url": url})


def csv_test(p: Platform, url: str, **auth: str) -> httpx.Response:
    body = {"name": "probe", "url": url, "mapper": p.mapper_id, **auth}
    return p.post("/api/ingestion/csv/test", json=body)


def csv_create(p: Platform, url: str) -> httpx.Response:
    body = {"name": f"feed-{uuid.uuid4().hex[:6]}", "url": url, "mapper": p.mapper_id}
    return p.post("/api/ingestion/csv", json=body)


def taxii_test(p: Platform, url: str) -> httpx.Response:
    return p.post(
        "/api/ingestion/taxii/test", json={"name": "probe", "url": url, "collection": "c"}
    )


def rss_test(p: Platform, url: str, **more: str) -> httpx.Response:
    return p.post("/api/ingestion/rss/test", json={"name": "probe", "url": url, **more})


def remote_streams(p: Platform, url: str) -> httpx.Response:
    return p.post("/api/ingestion/live-streams/remote-streams", json={"uri": url, "token": "t0k"})


def live_create(p: Platform, url: str) -> httpx.Response:
    body = {"name": f"sync-{uuid.uuid4().hex[:6]}", "uri": url, "token": "t0k", "stream_id": "s1"}
    return p.post("/api/ingestion/live-streams", json=body)


Endpoint = Callable[[Platform, str], httpx.Response]
ENDPOINTS: dict[str, Endpoint] = {
    "csv-mapper-test": mapper_test,
    "csv-feed-test": csv_test,
    "csv-feed-create": csv_create,
    "taxii-feed-test": taxii_test,
    "rss-feed-test": rss_test,
    "live-stream-remote-streams": remote_streams,
    "live-stream-create": live_create,
}


def internal_destinations(platform: Platform, attacker: Attacker) -> list[str]:
    port = attacker.port
    return [
        f"http://127.0.0.1:{port}/feed.csv",
        f"{platform.url}/health",
        f"{platform.url}/api/openapi.json",
        "http://10.0.0.1/feed.csv",
        "http://169.254.169.254/latest/meta-data/",
        f"http://[::1]:{port}/feed.csv",
        f"http://[::ffff:127.0.0.1]:{port}/feed.csv",
        f"http://2130706433:{port}/feed.csv",
        f"http://0x7f000001:{port}/feed.csv",
        f"http://localhost:{port}/feed.csv",
        "http://metadata.google.internal/computeMetadata/v1/",
    ]


def error_of(answer: httpx.Response) -> str:
    return str(answer.json().get("error", ""))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_internal_destinations_are_refused(
    endpoint: str, refusing: Platform, attacker: Attacker
) -> None:
    attacker.answer("/feed.csv", body=f"{MARKER}\n")
    call = ENDPOINTS[endpoint]
    for url in internal_destinations(refusing, attacker):
        answer = call(refusing, url)
        assert answer.status_code == 400, (url, answer.status_code, answer.text)
        assert REFUSED in error_of(answer) and "redirected" not in error_of(answer), answer.text
        assert MARKER not in answer.text and '"status":"ok"' not in answer.text
    assert attacker.requests == [], "the platform connected to a refused destination"


def test_the_allow_list_lets_an_internal_feed_work(
    pair: Pair, attacker: Attacker, allowing: Platform
) -> None:
    attacker.answer("/feed.csv", body="APT-Internal\nAPT-Other\n")
    url = f"{attacker.url}/feed.csv"
    mapped = mapper_test(allowing, url)
    assert mapped.status_code == 200, mapped.text
    names = {obj["name"] for obj in mapped.json()["objects"]}
    assert names == {"APT-Internal", "APT-Other"}
    assert csv_test(allowing, url).status_code == 200
    assert csv_create(allowing, url).status_code == 201
    with platform_of(pair, allow=[]) as refusing:
        assert mapper_test(refusing, url).status_code == 400


def test_a_redirect_to_a_refused_destination_is_refused(
    allowing: Platform, attacker: Attacker
) -> None:
    targets = [
        "http://169.254.169.254/latest/meta-data/",
        f"http://[::1]:{attacker.port}/feed.csv",
        f"http://127.0.0.2:{attacker.port}/feed.csv",
        f"gopher://127.0.0.1:{attacker.port}/_GET",
        "file:///etc/passwd",
    ]
    for number, target in enumerate(targets):
        attacker.answer(f"/hop{number}.csv", status=302, headers={"Location": target})
        for call in (mapper_test, csv_test, rss_test):
            answer = call(allowing, f"{attacker.url}/hop{number}.csv")
            assert answer.status_code == 400, (target, answer.text)
            assert REFUSED in error_of(answer) and "redirected to" in error_of(answer)
    for url in ("file:///etc/passwd", "gopher://127.0.0.1:70/_GET"):  # given directly
        assert mapper_test(allowing, url).status_code == 400
        for call in (csv_test, rss_test, remote_streams):
            assert call(allowing, url).status_code == 422


def test_a_proxy_does_not_open_a_way_around_the_policy(
    pair: Pair, attacker: Attacker, allowing: Platform
) -> None:
    # the proxy itself is a destination: a loopback proxy is refused by default
    with platform_of(pair, allow=[]) as refusing:
        answer = rss_test(refusing, "http://93.184.215.14/feed.xml", proxy=attacker.url)
        assert answer.status_code == 400 and REFUSED in error_of(answer)
    # an allowed proxy is not asked for a refused target
    answer = rss_test(allowing, "http://169.254.169.254/latest/", proxy=attacker.url)
    assert answer.status_code == 400 and REFUSED in error_of(answer)
    assert attacker.requests == []


# -- timing ----------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def took(call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    answer = call()
    return time.monotonic() - started, answer


def test_failed_checks_take_at_least_the_floor(allowing: Platform, attacker: Attacker) -> None:
    for path in ("/missing.csv", "/missing.csv/collections/c/objects/", "/missing.csv/graphql"):
        attacker.answer(path, status=404, body="not here")
    port = closed_port()
    cases = {
        "refused": "http://10.0.0.1/feed.csv",
        "closed port": f"http://127.0.0.1:{port}/feed.csv",
        "answered 404": f"{attacker.url}/missing.csv",
    }
    for name, url in cases.items():
        for endpoint, call in ENDPOINTS.items():
            seconds, answer = took(lambda: call(allowing, url))  # noqa: B023
            assert answer.status_code >= 400, (name, endpoint, answer.text)
            assert seconds >= FLOOR, (name, endpoint, seconds, answer.text)


# -- what errors say -------------------------------------------------------------------------


def test_errors_never_quote_a_remote_body(allowing: Platform, attacker: Attacker) -> None:
    page = f"<html><body>{MARKER} root:x:0:0</body></html>"
    html = {"Content-Type": "text/html; charset=utf-8"}
    for path, status in (("/missing", 404), ("/broken", 500)):
        attacker.answer(f"{path}.csv", status=status, body=page, headers=html)
        attacker.answer(f"{path}/collections/c/objects/", status=status, body=page, headers=html)
        attacker.answer(f"{path}/graphql", status=status, body=page, headers=html)
        for endpoint, call in ENDPOINTS.items():
            answer = call(allowing, url_of(endpoint, f"{attacker.url}{path}"))
            # 400 where a feed's URL is checked (ingest.verify: the URL given is wrong), 502
            # where a stored source failed
            assert answer.status_code in (400, 502), (endpoint, answer.text)
            assert MARKER not in answer.text and "root:x" not in answer.text, endpoint
            assert str(status) in error_of(answer) and "text/html" in error_of(answer)
            assert "\n" not in error_of(answer)
    refusal = '{"error": "' + MARKER + '"}'
    attacker.answer("/graphql", status=401, body=refusal, headers={"Content-Type": "x/json"})
    answer = remote_streams(allowing, attacker.url)
    assert answer.status_code == 400 and "refused the token: 401" in error_of(answer)
    assert MARKER not in answer.text


def url_of(endpoint: str, base: str) -> str:
    """The URL to give ``endpoint`` so that it fetches ``base`` + .csv, + /collections/c/objects/
    (TAXII) or + /graphql (live streams: the stream list query)."""
    if endpoint.startswith("taxii"):
        return f"{base}/"
    return base if endpoint.startswith("live") else f"{base}.csv"


# -- credentials and redirects ---------------------------------------------------------------

AUTHS = {
    "header": (
        {"auth_type": "header", "header_name": "X-Api-Key", "header_value": "k-123"},
        "X-Api-Key",
    ),
    "bearer": ({"auth_type": "bearer", "token": "t-123"}, "Authorization"),
    "basic": ({"auth_type": "basic", "username": "u", "password": "p-123"}, "Authorization"),
}


@pytest.fixture
def elsewhere() -> Iterator[Attacker]:
    """A second loopback server, on another port: another origin."""
    server = Attacker()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.mark.parametrize("auth", AUTHS)
def test_credentials_do_not_follow_a_redirect_to_another_origin(
    auth: str, allowing: Platform, attacker: Attacker, elsewhere: Attacker
) -> None:
    """/old.csv moved to /feed.csv on the same origin (credentials kept), which moved to
    another port (another origin: credentials and the cookie set on the way dropped)."""
    fields, header = AUTHS[auth]
    elsewhere.answer("/feed.csv", body="APT-Elsewhere\n")
    attacker.answer("/old.csv", status=301, headers={"Location": "/feed.csv"})
    attacker.answer(
        "/feed.csv",
        status=302,
        headers={"Location": f"{elsewhere.url}/feed.csv", "Set-Cookie": "session=c-123"},
    )
    answer = csv_test(allowing, f"{attacker.url}/old.csv", **fields)
    assert answer.status_code == 200, answer.text
    assert {r.path for r in attacker.requests} == {"/old.csv", "/feed.csv"}
    assert len(attacker.headers_seen(header)) == len(attacker.requests)
    assert elsewhere.requests, "the redirect was not followed"
    assert elsewhere.headers_seen(header) == []
    assert elsewhere.headers_seen("Authorization") == []
    assert elsewhere.headers_seen("Cookie") == []


# -- remotes answering the wrong shape -------------------------------------------------------

WRONG_STREAM_LISTS = {
    "an object": '{"streams": [{"id": "s1", "name": "Shared"}]}',
    "a list of numbers": "[1, 2, 3]",
    "entries without an id": '{"data": {"streamCollections": {"edges": [{"node": {}}]}}}',
    "edges that are numbers": '{"data": {"streamCollections": {"edges": [1, 2]}}}',
    "not JSON": "<html>streams</html>",
    "100k nested arrays": "[" * 100_000 + "]" * 100_000,
    "900 nested arrays": "[" * 900 + "]" * 900,
}


def good_remote(attacker: Attacker) -> None:
    listed = {"data": {"streamCollections": {"edges": [{"node": {"id": "s1", "name": "Shared"}}]}}}
    attacker.answer("/graphql", body=json.dumps(listed), headers=JSON)
    attacker.answer("/stream/s1", body=SSE_CONNECTED, headers={"Content-Type": "text/event-stream"})


JSON = {"Content-Type": "application/json"}


def test_a_remote_answering_the_wrong_shape_gets_a_clear_error(
    allowing: Platform, attacker: Attacker
) -> None:
    good_remote(attacker)
    created = live_create(allowing, attacker.url)
    assert created.status_code == 201, created.text
    sync_id = created.json()["id"]
    for shape, body in WRONG_STREAM_LISTS.items():
        attacker.answer("/graphql", body=body, headers=JSON)
        patch = {"uri": attacker.url, "token": f"t-{uuid.uuid4().hex[:6]}"}
        answers = {
            "remote-streams": remote_streams(allowing, attacker.url),
            "create": live_create(allowing, attacker.url),
            "patch": allowing.http.patch(f"/api/ingestion/live-streams/{sync_id}", json=patch),
        }
        for call, answer in answers.items():
            assert answer.status_code == 502, (shape, call, answer.status_code, answer.text)
            assert attacker.url in error_of(answer) and "\n" not in error_of(answer)


def test_a_connected_event_of_the_wrong_shape_gets_a_clear_error(
    allowing: Platform, attacker: Attacker
) -> None:
    good_remote(attacker)
    for data in ("[1, 2]", "[" * 5000 + "]" * 5000, "not json", '{"id": "no connection id"}'):
        sse = f"event: connected\ndata: {data}\n\n"
        attacker.answer("/stream/s1", body=sse, headers={"Content-Type": "text/event-stream"})
        answer = live_create(allowing, attacker.url)
        assert answer.status_code == 502, (data[:10], answer.text)


def test_a_taxii_answer_nested_too_deeply_gets_a_clear_error(
    allowing: Platform, attacker: Attacker
) -> None:
    deep = "[" * 900 + "]" * 900
    envelope = (
        '{"more": false, "objects": [{"type": "malware", "spec_version": "2.1", '
        '"id": "malware--6b616fc1-1505-48e3-8b2c-0d19337bff38", "name": "x", '
        '"is_family": true, "created": "2024-01-01T00:00:00.000Z", '
        f'"modified": "2024-01-01T00:00:00.000Z", "x_deep": {deep}}}]}}'
    )
    taxii = {"Content-Type": "application/taxii+json;version=2.1"}
    attacker.answer("/root/collections/c/objects/", body=envelope, headers=taxii)
    answer = taxii_test(allowing, f"{attacker.url}/root/")
    assert answer.status_code == 502, answer.text
    assert "nested" in error_of(answer)


def test_an_rss_item_nested_too_deeply_becomes_plain_text(
    allowing: Platform, attacker: Attacker
) -> None:
    """HTML too deep to convert is kept as its text (docs/security.md, "Poison pills")."""
    html = "&lt;div&gt;" * 5000 + "deep" + "&lt;/div&gt;" * 5000
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>x</title><description>{html}</description></item></channel></rss>"
    )
    attacker.answer("/feed.xml", body=feed, headers={"Content-Type": "application/rss+xml"})
    answer = rss_test(allowing, f"{attacker.url}/feed.xml")
    assert answer.status_code == 200, answer.text
    reports = [o for o in answer.json()["objects"] if o["type"] == "report"]
    assert [r["description"] for r in reports] == ["deep"]


# -- runs nobody watches ---------------------------------------------------------------------


def test_a_stored_feed_is_refused_when_it_runs(refusing: Platform, attacker: Attacker) -> None:
    """An RSS feed's creation check is refused by the policy; a feed stored before the policy
    changed is refused at each run."""
    body = {"name": "internal", "url": f"{attacker.url}/feed.xml"}
    refused = refusing.post("/api/ingestion/rss", json=body)
    assert refused.status_code == 400 and REFUSED in error_of(refused)
    stamp = "2024-01-01T00:00:00.000Z"
    ingester = Ingester(
        id=new_ingester_id(),
        kind="rss",
        name="internal",
        description="",
        source="rss-internal",
        running=True,
        user_id=None,
        created_by=None,
        import_from=None,
        scheduling_period="PT1H",
        config={"url": body["url"], "report_types": ["threat-report"], "markings": []},
        secret={},
        created_at=stamp,
        updated_at=stamp,
    )
    records = IngesterRecords(refusing.runtime.db, refusing.runtime.secrets)
    with refusing.runtime.db.transaction() as tx:
        records.insert(tx, ingester)
    outcome = run_ingester(refusing.runtime, feed_kind("rss"), records.get(ingester.id, kind="rss"))
    assert outcome.error is not None and REFUSED in outcome.error
    assert attacker.requests == []


def test_connector_sources_obey_the_policy(attacker: Attacker) -> None:
    attacker.answer("/kev.json", body='{"vulnerabilities": []}', headers=JSON)
    url = f"{attacker.url}/kev.json"
    config = load_config(token="t", id="kev", name="KEV")
    with pytest.raises(OutboundRefused):
        fetch(url, timeout=5, policy=config.policy)
    assert attacker.requests == []
    internal = load_config(token="t", id="kev", name="KEV", outbound={"allow": ALLOWED})
    assert fetch(url, timeout=5, policy=internal.policy) == b'{"vulnerabilities": []}'
