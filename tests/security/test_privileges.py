"""Capability boundaries (docs/security.md, "Capability boundaries"; issue 12, finding 9).

Every row of the table, through the HTTP API on both back-end pairs: the same request by a caller
the rule allows and by one it refuses. The delegation rows pit Sam (SETTINGS and KNOWLEDGE, up to
TLP:AMBER) against Sue (every capability but BYPASS, up to TLP:RED): what is beyond Sam is within
Sue, so Sam is refused (403 naming what is beyond) and Sue is served. Nobody hands out more than
they hold; administrators are within nobody but administrators.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.capabilities import Capability
from stixflow.access.schemas import GroupCreate, TokenCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.connectors.service import ConnectorService
from stixflow.runtime import Runtime
from tests.api import conftest as api_fixtures
from tests.support import bundle, malware

C = Capability
EVERY = [c for c in Capability if c is not Capability.BYPASS]
PASSWORD = "the first password"
admin_token, client = api_fixtures.admin_token, api_fixtures.client  # shared fixtures


@dataclass
class Member:
    """A user in a group of their own, with a token (and the password PASSWORD)."""

    id: str
    email: str
    token: str
    token_id: str
    group: str


@pytest.fixture
def member(runtime: Runtime) -> Callable[..., Member]:
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)

    def make(*capabilities: Capability, allowed: tuple[str, ...] = ()) -> Member:
        name = f"u{uuid.uuid4().hex[:8]}"
        group = service.create_group(
            GroupCreate(
                name=f"group of {name}",
                capabilities=list(capabilities),
                allowed_markings=list(allowed),
            )
        )
        user = service.create_user(
            UserCreate(email=f"{name}@example.org", name=name, password=PASSWORD, groups=[group.id])
        )
        token = service.create_token(user.id, TokenCreate(name="test"))
        return Member(user.id, user.email, token.token, token.id, group.name)

    return make


@pytest.fixture
def forget_connectors(runtime: Runtime) -> Iterator[None]:
    """Delete registered connectors (on RabbitMQ: their exchanges and broker users too)."""
    yield
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    for connector in service.records.list():
        service.delete(connector.id)


def call(client: TestClient, method: str, path: str, body: Any, token: str | None) -> Response:
    headers = {"Content-Type": "application/json", "Authorization": ""}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    content = orjson.dumps(body) if body is not None else None
    return client.request(method, path, content=content, headers=headers)


def assert_refused(answer: Response, beyond: str) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.json()["capability"] == beyond
    assert beyond in answer.json()["error"]


# -- rows guarded by one capability -----------------------------------------------------------


def _register_connector(client: TestClient) -> None:
    answer = client.post("/api/connectors", json={"id": "gate-feed", "name": "Gate feed"})
    assert answer.status_code == 200, answer.text


GATES: list[tuple[str, Capability, str, str, Any, Callable[[TestClient], None] | None]] = [
    ("read knowledge", C.KNOWLEDGE, "GET", "/api/objects", None, None),
    ("import", C.KNOWLEDGE_UPDATE, "POST", "/api/bundles", bundle(malware("Emotet")), None),
    ("export", C.EXPLORE, "GET", "/api/export", None, None),
    ("TAXII collections", C.TAXIIAPI, "GET", "/api/taxii/collections", None, None),
    ("live streams", C.TAXIIAPI, "GET", "/api/streams", None, None),
    ("manage ingesters", C.INGESTION, "GET", "/api/ingestion/rss", None, None),
    ("CSV mappers", C.INGESTION, "GET", "/api/csv-mappers", None, None),
    ("create users", C.SETTINGS, "POST", "/api/users", {"email": "n@x.org", "name": "N"}, None),
    ("create groups", C.SETTINGS, "POST", "/api/groups", {"name": "Nothing"}, None),
    ("organizations", C.SETTINGS, "POST", "/api/organizations", {"name": "CIRCL"}, None),
    ("statement markings", C.SETTINGS, "POST", "/api/markings", {"statement": "(c) CIRCL"}, None),
    ("audit log", C.SETTINGS, "GET", "/api/audit", None, None),
    ("register connectors", C.CONNECTORAPI, "POST", "/api/connectors", {"id": "f", "name": "F"},
     None),
    ("reset connector state", C.CONNECTOR_STATE, "POST", "/api/connectors/gate-feed/reset", None,
     _register_connector),
]  # fmt: skip


@pytest.mark.usefixtures("forget_connectors")
@pytest.mark.parametrize(
    ("capability", "method", "path", "body", "prepare"),
    [pytest.param(*row[1:], id=row[0]) for row in GATES],
)
def test_a_capability_row_serves_its_holder_and_refuses_everyone_else(
    client: TestClient,
    member: Callable[..., Member],
    capability: Capability,
    method: str,
    path: str,
    body: Any,
    prepare: Callable[[TestClient], None] | None,
) -> None:
    if prepare:
        prepare(client)
    others = member(*[c for c in EVERY if c is not capability], allowed=("TLP:RED",))
    assert_refused(call(client, method, path, body, others.token), capability)
    holder = member(capability)
    served = call(client, method, path, body, holder.token)
    assert served.status_code < 300, served.text


def test_health_needs_no_token_and_tells_nothing_secret(client: TestClient) -> None:
    answer = call(client, "GET", "/health", None, None)
    assert answer.status_code == 200
    assert set(answer.json()) == {"status", "database", "broker", "version"}


def test_works_are_read_by_their_owner_and_refused_without_knowledge(
    client: TestClient, member: Callable[..., Member]
) -> None:
    owner = member(C.KNOWLEDGE, C.KNOWLEDGE_UPDATE)
    work = call(client, "POST", "/api/bundles", bundle(malware("Qakbot")), owner.token).json()
    path = f"/api/works/{work['work_id']}"
    assert call(client, "GET", path, None, owner.token).json()["id"] == work["work_id"]
    stranger = member(*[c for c in EVERY if c is not C.KNOWLEDGE], allowed=("TLP:RED",))
    refused = call(client, "GET", path, None, stranger.token)
    assert refused.status_code in (403, 404)  # 404 once works are private to their owner
    assert work["work_id"] not in refused.text


def test_dead_letters_are_refused_to_a_caller_without_knowledge(
    client: TestClient, member: Callable[..., Member]
) -> None:
    assert client.get("/api/dead-letters").status_code == 200  # the administrator
    stranger = member(*[c for c in EVERY if c is not C.KNOWLEDGE], allowed=("TLP:RED",))
    assert call(client, "GET", "/api/dead-letters", None, stranger.token).status_code == 403


# -- delegation rows: within the caller's own rights, or refused -----------------------------


@dataclass
class World:
    sam: Member  # SETTINGS, KNOWLEDGE; TLP:AMBER
    sue: Member  # every capability but BYPASS; TLP:RED
    red: Member  # KNOWLEDGE; TLP:RED: beyond Sam by a marking
    explorer: Member  # KNOWLEDGE, EXPLORE; TLP:GREEN: beyond Sam by a capability
    green: Member  # KNOWLEDGE; TLP:GREEN: within both

    def names(self, caller: Member) -> dict[str, str]:
        return {
            "own_id": caller.id,
            "own_group": caller.group,
            "red_id": self.red.id,
            "red_group": self.red.group,
            "red_token_id": self.red.token_id,
            "explorer_id": self.explorer.id,
            "explorer_group": self.explorer.group,
            "green_id": self.green.id,
        }


@pytest.fixture
def world(member: Callable[..., Member]) -> World:
    return World(
        sam=member(C.SETTINGS, C.KNOWLEDGE, allowed=("TLP:AMBER",)),
        sue=member(*EVERY, allowed=("TLP:RED",)),
        red=member(C.KNOWLEDGE, allowed=("TLP:RED",)),
        explorer=member(C.KNOWLEDGE, C.EXPLORE, allowed=("TLP:GREEN",)),
        green=member(C.KNOWLEDGE, allowed=("TLP:GREEN",)),
    )


def fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    return value


NEW_USER = {"email": "new@example.org", "name": "New"}
DELEGATIONS: list[tuple[str, str, str, Any, str]] = [
    ("grant a capability", "POST", "/api/groups",
     {"name": "Explorers", "capabilities": ["KNOWLEDGE", "EXPLORE"]}, "EXPLORE"),
    ("grant BYPASS's lesser rights", "POST", "/api/groups",
     {"name": "Almost root", "capabilities": [c.value for c in EVERY]}, "CONNECTORAPI"),
    ("grant a marking", "POST", "/api/groups",
     {"name": "Red team", "allowed_markings": ["TLP:RED"]}, "TLP:RED"),
    ("grant a default marking", "POST", "/api/groups",
     {"name": "Red by default", "default_markings": ["TLP:RED"]}, "TLP:RED"),
    ("raise one's own group's markings", "PATCH", "/api/groups/{own_group}",
     {"allowed_markings": ["TLP:RED"]}, "TLP:RED"),
    ("raise one's own group's capabilities", "PATCH", "/api/groups/{own_group}",
     {"capabilities": ["SETTINGS", "KNOWLEDGE", "EXPLORE"]}, "EXPLORE"),
    ("change a group beyond one's own", "PATCH", "/api/groups/{red_group}",
     {"description": "mine now"}, "TLP:RED"),
    ("delete a group beyond one's own", "DELETE", "/api/groups/{explorer_group}", None, "EXPLORE"),
    ("create a user in a group", "POST", "/api/users",
     {**NEW_USER, "groups": ["{red_group}"]}, "TLP:RED"),
    ("join a group", "PUT", "/api/groups/{red_group}/members/{own_id}", None, "TLP:RED"),
    ("add a user to a group", "PUT", "/api/groups/{explorer_group}/members/{green_id}", None,
     "EXPLORE"),
    ("change another user's groups", "DELETE", "/api/groups/{red_group}/members/{red_id}", None,
     "TLP:RED"),
    ("mint a token for another user", "POST", "/api/users/{red_id}/tokens", {"name": "mine"},
     "TLP:RED"),
    ("mint a token for a user with more capabilities", "POST", "/api/users/{explorer_id}/tokens",
     {}, "EXPLORE"),
    ("revoke another user's token", "DELETE", "/api/tokens/{red_token_id}", None, "TLP:RED"),
    ("reset another user's password", "PATCH", "/api/users/{red_id}",
     {"password": "a password I know"}, "TLP:RED"),
    ("delete another user", "DELETE", "/api/users/{explorer_id}", None, "EXPLORE"),
    ("create a source account (Connectors group)", "POST", "/api/users/sources",
     {"name": "abuse.ch"}, "CONNECTORAPI"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "beyond"),
    [pytest.param(*row[1:], id=row[0]) for row in DELEGATIONS],
)
def test_a_delegation_within_the_callers_rights_is_served_and_beyond_them_refused(
    client: TestClient, world: World, method: str, path: str, body: Any, beyond: str
) -> None:
    for caller, allowed in ((world.sam, False), (world.sue, True)):
        names = world.names(caller)
        answer = call(client, method, fill(path, names), fill(body, names), caller.token)
        if allowed:
            assert answer.status_code < 300, answer.text
        else:
            assert_refused(answer, beyond)


def test_refused_delegations_change_nothing(client: TestClient, world: World) -> None:
    """Finding 9 as reported: Sam gives their own group TLP:RED and every capability but
    BYPASS, mints a token for Red and resets Red's password. Nothing of it happens."""
    sam, red = world.sam, world.red
    before = call(client, "GET", "/api/me", None, sam.token).json()
    raise_own = {"capabilities": [c.value for c in EVERY], "allowed_markings": ["TLP:RED"]}
    assert (
        call(client, "PATCH", f"/api/groups/{sam.group}", raise_own, sam.token).status_code == 403
    )
    assert call(client, "POST", f"/api/users/{red.id}/tokens", {}, sam.token).status_code == 403
    reset = {"password": "a password I know"}
    assert call(client, "PATCH", f"/api/users/{red.id}", reset, sam.token).status_code == 403

    assert call(client, "GET", "/api/me", None, sam.token).json() == before
    assert [t["id"] for t in client.get(f"/api/users/{red.id}/tokens").json()] == [red.token_id]
    old = client.post("/api/login", json={"email": red.email, "password": PASSWORD})
    assert old.status_code == 200
    new = client.post("/api/login", json={"email": red.email, "password": reset["password"]})
    assert new.status_code == 401


def test_a_delegation_within_the_callers_rights_takes_effect(
    client: TestClient, world: World
) -> None:
    """Sam resets Green's password and mints Green a token: both work (Green is within Sam)."""
    sam, green = world.sam, world.green
    reset = {"password": "a password Sam set"}
    assert call(client, "PATCH", f"/api/users/{green.id}", reset, sam.token).status_code == 200
    login = client.post("/api/login", json={"email": green.email, "password": reset["password"]})
    assert login.status_code == 200
    minted = call(client, "POST", f"/api/users/{green.id}/tokens", {}, sam.token).json()
    me = call(client, "GET", "/api/me", None, minted["token"]).json()
    assert me["user"]["id"] == green.id


def test_administrators_are_within_no_one_but_administrators(
    client: TestClient, world: World
) -> None:
    """Sue holds every capability but BYPASS and TLP:RED; the administrator is still beyond."""
    sue = world.sue
    admin = client.get("/api/me").json()["user"]
    tries = [
        ("POST", f"/api/users/{admin['id']}/tokens", {}),
        ("PATCH", f"/api/users/{admin['id']}", {"password": "a password I know"}),
        ("DELETE", f"/api/users/{admin['id']}", None),
        ("PUT", f"/api/groups/Administrators/members/{sue.id}", None),
        ("PATCH", "/api/groups/Administrators", {"name": "Not admins"}),
        ("PATCH", f"/api/groups/{sue.group}", {"capabilities": ["BYPASS"]}),
        ("POST", "/api/groups", {"name": "Root", "capabilities": ["BYPASS"]}),
    ]
    for method, path, body in tries:
        assert_refused(call(client, method, path, body, sue.token), "BYPASS")
    # the administrator may do each of these (here: to Sue, and a BYPASS group)
    assert client.post(f"/api/users/{sue.id}/tokens", json={}).status_code == 201
    assert client.post("/api/groups", json={"name": "Root", "capabilities": ["BYPASS"]}).is_success


# -- oneself: any authenticated user ----------------------------------------------------------


def test_anyone_mints_and_revokes_their_own_tokens(
    client: TestClient, member: Callable[..., Member]
) -> None:
    nobody = member()  # no capability at all
    minted = call(client, "POST", "/api/me/tokens", {"name": "laptop"}, nobody.token)
    assert minted.status_code == 201, minted.text
    me = call(client, "GET", "/api/me", None, minted.json()["token"]).json()
    assert me["user"]["id"] == nobody.id
    listed = call(client, "GET", "/api/me/tokens", None, nobody.token).json()
    assert {t["name"] for t in listed} == {"test", "laptop"}
    revoked = call(client, "DELETE", f"/api/me/tokens/{minted.json()['id']}", None, nobody.token)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert call(client, "GET", "/api/me", None, minted.json()["token"]).status_code == 401

    # refused: no token; another user's token; the /api/users form without SETTINGS
    assert call(client, "POST", "/api/me/tokens", {"name": "x"}, None).status_code == 401
    other = member()
    path = f"/api/me/tokens/{other.token_id}"
    assert call(client, "DELETE", path, None, nobody.token).status_code == 404
    assert call(client, "GET", "/api/me", None, other.token).status_code == 200
    answer = call(client, "POST", f"/api/users/{nobody.id}/tokens", {}, nobody.token)
    assert_refused(answer, "SETTINGS")


def test_anyone_changes_their_own_password_knowing_the_current_one(
    client: TestClient, member: Callable[..., Member]
) -> None:
    nobody = member()
    wrong = {"current_password": "not my password", "password": "a better password"}
    refused = call(client, "PUT", "/api/me/password", wrong, nobody.token)
    assert refused.status_code == 400, refused.text
    assert call(client, "PUT", "/api/me/password", wrong, None).status_code == 401
    assert client.post("/api/login", json={"email": nobody.email, "password": PASSWORD}).is_success

    right = {**wrong, "current_password": PASSWORD}
    changed = call(client, "PUT", "/api/me/password", right, nobody.token)
    assert changed.status_code == 204, changed.text
    login = client.post("/api/login", json={"email": nobody.email, "password": right["password"]})
    assert login.status_code == 200
    old = client.post("/api/login", json={"email": nobody.email, "password": PASSWORD})
    assert old.status_code == 401
