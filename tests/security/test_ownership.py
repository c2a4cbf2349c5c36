"""Hostile users against ingesters they do not own (issue 12, findings 1 and 8).

A plain INGESTION user sees and acts only on the ingesters they created: someone else's feed,
synchroniser or TAXII Push ingester is a 404, as if it did not exist. INGESTION_ADMIN (and
BYPASS) act on all. The user named as the creator of an ingester's data must be within the
caller's own capabilities and markings, and ``create_source_user`` (which creates a user in the
Connectors group) needs SETTINGS. On both back-end pairs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.runtime import Runtime
from tests.api.conftest import admin_token, client, user_token  # noqa: F401  (shared fixtures)
from tests.security.conftest import Attacker
from tests.support import TLP_AMBER, TLP_GREEN
from tests.taxii.conftest import LiveServer

C = Capability
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
CONNECTORS_CAPABILITIES = (
    C.KNOWLEDGE,
    C.KNOWLEDGE_UPDATE,
    C.CONNECTORAPI,
    C.CONNECTOR_STATE,
    C.TAXIIAPI,
    C.INGESTION,
)


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    headers: dict[str, str]


@pytest.fixture
def person(client: TestClient, user_token: Callable[..., str]) -> Callable[..., Person]:  # noqa: F811
    """A new user with these capabilities (and allowed markings), and their auth headers."""

    def make(*capabilities: Capability, allowed: tuple[str, ...] = ()) -> Person:
        headers = {"Authorization": f"Bearer {user_token(*capabilities, allowed=allowed)}"}
        me = client.get("/api/me", headers=headers).json()["user"]
        return Person(me["id"], me["email"], headers)

    return make


@pytest.fixture
def live(runtime: Runtime) -> Iterator[LiveServer]:
    with LiveServer(runtime) as server:
        yield server


def feed_body(kind: str, url: str) -> dict[str, Any]:
    name = f"{kind} feed {uuid.uuid4().hex[:6]}"
    if kind == "taxii":
        return {
            "name": name,
            "url": f"{url}/api1/",
            "collection": "partner-collection",
            "auth_type": "basic",
            "username": "partner",
            "password": "password-of-a",
        }
    return {"name": name, "url": f"{url}/feed.xml"}


# -- feeds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["taxii", "rss"])
def test_another_users_feed_is_not_found(
    client: TestClient,  # noqa: F811
    person: Callable[..., Person],
    attacker: Attacker,
    kind: str,
) -> None:
    a, b = person(C.INGESTION), person(C.INGESTION)
    created = client.post(
        f"/api/ingestion/{kind}", json=feed_body(kind, attacker.url), headers=a.headers
    )
    assert created.status_code == 201, created.text
    attacker.requests.clear()  # the creation check (ingest.verify); nothing of b may fetch
    feed = created.json()
    assert feed["created_by"] == a.id
    path = f"/api/ingestion/{kind}/{feed['id']}"
    by_name = f"/api/ingestion/{kind}/{feed['name']}"

    assert client.get(f"/api/ingestion/{kind}", headers=b.headers).json() == []
    missing = client.get(f"/api/ingestion/{kind}/{uuid.uuid4()}", headers=b.headers)
    for method, url, body in [
        ("GET", path, None),
        ("GET", by_name, None),
        ("PATCH", path, {"url": f"{attacker.url}/stolen/"}),
        ("POST", f"{path}/test", None),
        ("POST", f"{path}/start", None),
        ("POST", f"{path}/stop", None),
        ("POST", f"{path}/reset", None),
        ("DELETE", path, None),
    ]:
        refused = client.request(method, url, json=body, headers=b.headers)
        assert refused.status_code == 404, (method, url, refused.text)
        assert refused.json()["error"].split()[:3] == missing.json()["error"].split()[:3]
    assert attacker.requests == []  # B's test and PATCH reached nothing

    mine = client.get(path, headers=a.headers).json()
    assert (mine["name"], mine["updated_at"]) == (feed["name"], feed["updated_at"])
    assert client.patch(path, json={"description": "mine"}, headers=a.headers).status_code == 200
    assert [f["id"] for f in client.get(f"/api/ingestion/{kind}", headers=a.headers).json()] == [
        feed["id"]
    ]


def test_ingestion_administrators_act_on_every_feed(
    client: TestClient,  # noqa: F811
    person: Callable[..., Person],
    attacker: Attacker,
) -> None:
    a = person(C.INGESTION)
    chief = person(C.INGESTION, C.INGESTION_ADMIN)
    own = client.post("/api/ingestion/rss", json=feed_body("rss", attacker.url), headers=a.headers)
    by_cli = client.post("/api/ingestion/rss", json=feed_body("rss", attacker.url))  # admin
    assert own.status_code == by_cli.status_code == 201

    listed = {f["id"] for f in client.get("/api/ingestion/rss", headers=chief.headers).json()}
    assert listed == {own.json()["id"], by_cli.json()["id"]}
    for feed in (own.json(), by_cli.json()):
        path = f"/api/ingestion/rss/{feed['id']}"
        changed = client.patch(path, json={"description": "checked"}, headers=chief.headers)
        assert changed.status_code == 200 and changed.json()["description"] == "checked"
        assert client.post(f"{path}/stop", headers=chief.headers).status_code == 200
    assert client.get("/api/ingestion/rss", headers=a.headers).json()[0]["id"] == own.json()["id"]
    assert len(client.get("/api/ingestion/rss", headers=a.headers).json()) == 1


# -- synchronisers and TAXII Push ingesters ------------------------------------------------


def test_another_users_synchroniser_and_push_ingester_are_not_found(
    client: TestClient,  # noqa: F811
    admin_token: str,  # noqa: F811
    person: Callable[..., Person],
    live: LiveServer,
) -> None:
    a, b = person(C.INGESTION, C.TAXIIAPI), person(C.INGESTION)
    stream = client.post("/api/streams", json={"name": "shared", "filters": {}}).json()["id"]
    sync = client.post(
        "/api/ingestion/live-streams",
        json={"name": "from us", "uri": live.url, "token": admin_token, "stream_id": stream},
        headers=a.headers,
    )
    assert sync.status_code == 201, sync.text
    push = client.post("/api/ingestion/taxii-push", json={"name": "inbox"}, headers=a.headers)
    assert push.status_code == 201, push.text

    for base, ingester, actions in [
        ("/api/ingestion/live-streams", sync.json(), ("start", "stop", "reset")),
        ("/api/ingestion/taxii-push", push.json(), ("start", "stop")),
    ]:
        path = f"{base}/{ingester['id']}"
        assert client.get(base, headers=b.headers).json() == []
        assert client.get(path, headers=b.headers).status_code == 404
        assert client.patch(path, json={"name": "mine"}, headers=b.headers).status_code == 404
        for action in actions:
            assert client.post(f"{path}/{action}", headers=b.headers).status_code == 404
        assert client.delete(path, headers=b.headers).status_code == 404
        seen = client.get(path, headers=a.headers)
        assert seen.status_code == 200, seen.text
        assert seen.json()["name"] == ingester["name"]
        assert [i["id"] for i in client.get(base).json()] == [ingester["id"]]  # admin sees it


# -- the creator of the data (finding 8) ---------------------------------------------------


def test_naming_someone_with_more_rights_as_data_creator_is_refused(
    client: TestClient,  # noqa: F811
    person: Callable[..., Person],
    attacker: Attacker,
) -> None:
    b = person(C.INGESTION, allowed=(TLP_GREEN,))
    admin = client.get("/api/me").json()["user"]
    reader = person(C.KNOWLEDGE)
    amber = person(C.INGESTION, allowed=(TLP_AMBER,))
    for victim, beyond in [
        (admin["email"], "BYPASS"),
        (reader.id, "KNOWLEDGE"),
        (amber.id, TLP_AMBER),
    ]:
        body = {**feed_body("rss", attacker.url), "user": victim}
        refused = client.post("/api/ingestion/rss", json=body, headers=b.headers)
        assert refused.status_code == 403, refused.text
        assert beyond in refused.json()["error"]
    for path in ("/api/ingestion/taxii-push", "/api/ingestion/live-streams"):
        body = {"name": "as admin", "user": admin["email"]}
        if path.endswith("live-streams"):
            body.update(uri=attacker.url, token="t0ken", stream_id="s")
        refused = client.post(path, json=body, headers=b.headers)
        assert refused.status_code == 403 and "BYPASS" in refused.json()["error"], refused.text
    assert client.get("/api/ingestion/rss", headers=b.headers).json() == []
    assert attacker.requests == []

    own = client.post("/api/ingestion/rss", json=feed_body("rss", attacker.url), headers=b.headers)
    path = f"/api/ingestion/rss/{own.json()['id']}"
    changed = client.patch(path, json={"user": admin["email"]}, headers=b.headers)
    assert changed.status_code == 403
    assert client.get(path, headers=b.headers).json()["user_id"] == b.id


def test_naming_someone_within_ones_rights_as_data_creator_is_allowed(
    client: TestClient,  # noqa: F811
    person: Callable[..., Person],
    attacker: Attacker,
) -> None:
    b = person(C.INGESTION, C.KNOWLEDGE, allowed=(TLP_AMBER,))
    analyst = person(C.KNOWLEDGE, allowed=(TLP_GREEN,))
    body = {**feed_body("rss", attacker.url), "user": analyst.email}
    created = client.post("/api/ingestion/rss", json=body, headers=b.headers)
    assert created.status_code == 201, created.text
    assert created.json()["user_id"] == analyst.id
    push = client.post(
        "/api/ingestion/taxii-push", json={"name": "inbox", "user": analyst.id}, headers=b.headers
    )
    assert push.status_code == 201 and push.json()["user_id"] == analyst.id
    path = f"/api/ingestion/rss/{created.json()['id']}"
    back = client.patch(path, json={"user": b.email}, headers=b.headers)
    assert back.status_code == 200 and back.json()["user_id"] == b.id


def test_creating_a_source_user_needs_settings(
    client: TestClient,  # noqa: F811
    person: Callable[..., Person],
    attacker: Attacker,
) -> None:
    b = person(C.INGESTION)
    body = {**feed_body("rss", attacker.url), "create_source_user": True, "source_name": "Evil"}
    refused = client.post("/api/ingestion/rss", json=body, headers=b.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["capability"] == "SETTINGS"
    users = [u["name"] for u in client.get("/api/users").json()]
    assert "[F] Evil" not in users
    assert client.get("/api/ingestion/rss", headers=b.headers).json() == []

    manager = person(C.SETTINGS, *CONNECTORS_CAPABILITIES, allowed=(TLP_RED,))
    body = {**feed_body("rss", attacker.url), "create_source_user": True, "source_name": "Vendor"}
    created = client.post("/api/ingestion/rss", json=body, headers=manager.headers)
    assert created.status_code == 201, created.text
    assert any("[F] Vendor" in note for note in created.json()["notes"])
    assert "[F] Vendor" in [u["name"] for u in client.get("/api/users").json()]
