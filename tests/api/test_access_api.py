"""Users, groups, organizations, tokens, markings, login and the audit log over HTTP, as an
admin running stixflow for a team would use them. On both back-end pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.runtime import Runtime
from tests.support import bundle, drain, malware


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _actions(client: TestClient, action: str) -> list[dict[str, Any]]:
    response = client.get("/api/audit", params={"action": action, "limit": 1000})
    assert response.status_code == 200
    return response.json()


def test_add_source_builds_the_seed_best_practice(client: TestClient, runtime: Runtime) -> None:
    response = client.post("/api/users/sources", json={"name": "abuse.ch"})
    assert response.status_code == 201
    account = response.json()
    assert account["user"]["name"] == "[F] abuse.ch"
    assert account["user"]["groups"] == ["Connectors"]
    org = account["organization"]
    assert org["name"] == "abuse.ch" and org["id"].startswith("identity--")
    assert account["user"]["organization_id"] == org["id"]
    identity = client.get(f"/api/objects/{org['id']}").json()["object"]
    assert identity["identity_class"] == "organization"

    token = account["token"]["token"]
    feed = malware("Mirai", created_by_ref=org["id"])
    pushed = client.post("/api/bundles", content=orjson.dumps(bundle(feed)), headers=_as(token))
    assert pushed.status_code == 202
    drain(runtime, pushed.json()["work_id"])
    mine = client.get("/api/objects", params={"creator": account["user"]["id"]}).json()
    assert [o["name"] for o in mine["objects"]] == ["Mirai"]
    by_author = client.get("/api/objects", params={"author": org["id"]}).json()
    assert [o["name"] for o in by_author["objects"]] == ["Mirai"]
    assert client.post("/api/users/sources", json={"name": "abuse.ch"}).status_code == 409


def test_user_crud(client: TestClient) -> None:
    created = client.post(
        "/api/users", json={"email": "Alice@Example.org", "name": "Alice", "groups": ["Connectors"]}
    )
    assert created.status_code == 201
    alice = created.json()
    assert alice["email"] == "alice@example.org" and alice["groups"] == ["Connectors"]
    assert client.get("/api/users/alice@example.org").json()["id"] == alice["id"]
    renamed = client.patch(f"/api/users/{alice['id']}", json={"name": "Alice L."})
    assert renamed.json()["name"] == "Alice L."
    assert "alice@example.org" in {u["email"] for u in client.get("/api/users").json()}
    duplicate = client.post("/api/users", json={"email": "alice@example.org", "name": "A"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["error"]
    assert client.delete(f"/api/users/{alice['id']}").status_code == 204
    assert client.get(f"/api/users/{alice['id']}").status_code == 404
    assert {"user.created", "user.updated", "user.deleted"} <= {
        entry["action"] for entry in _actions(client, "user")
    }


def test_bad_input_is_a_json_error(client: TestClient) -> None:
    response = client.post("/api/users", json={"email": "not-an-email", "name": ""})
    assert response.status_code == 422
    assert response.json()["error"] and response.json()["details"]
    unknown = client.post("/api/groups", json={"name": "G", "allowed_markings": ["TLP:PURPLE"]})
    assert unknown.status_code == 400 and "TLP:PURPLE" in unknown.json()["error"]


def test_group_crud_and_membership(client: TestClient) -> None:
    client.post("/api/users", json={"email": "bob@example.org", "name": "Bob"})
    created = client.post(
        "/api/groups",
        json={
            "name": "Analysts",
            "capabilities": ["KNOWLEDGE", "EXPLORE"],
            "allowed_markings": ["TLP:AMBER"],
        },
    )
    assert created.status_code == 201
    group = created.json()
    added = client.put("/api/groups/Analysts/members/bob@example.org").json()
    assert added["members"] == ["bob@example.org"]
    updated = client.patch(f"/api/groups/{group['id']}", json={"default_markings": ["TLP:GREEN"]})
    assert updated.json()["default_markings"] and updated.json()["capabilities"] == [
        "KNOWLEDGE",
        "EXPLORE",
    ]
    assert client.get("/api/users/bob@example.org").json()["groups"] == ["Analysts"]
    removed = client.delete("/api/groups/Analysts/members/bob@example.org").json()
    assert removed["members"] == []
    assert client.delete("/api/groups/Analysts").status_code == 204
    assert client.get("/api/groups/Analysts").status_code == 404
    assert client.delete("/api/groups/Connectors").status_code == 409
    names = {g["name"] for g in client.get("/api/groups").json()}
    assert {"Administrators", "Connectors"} <= names
    assert {"group.created", "group.member_added", "group.updated", "group.deleted"} <= {
        entry["action"] for entry in _actions(client, "group")
    }


def test_settings_alone_cannot_grant_bypass(
    client: TestClient, user_token: Callable[..., str]
) -> None:
    token = user_token(Capability.SETTINGS)
    me = client.get("/api/me", headers=_as(token)).json()
    joined = client.put(
        f"/api/groups/Administrators/members/{me['user']['id']}", headers=_as(token)
    )
    assert joined.status_code == 403
    made = client.post(
        "/api/groups", json={"name": "Root", "capabilities": ["BYPASS"]}, headers=_as(token)
    )
    assert made.status_code == 403
    admin_email = client.get("/api/me").json()["user"]["email"]
    hijack = client.post(f"/api/users/{admin_email}/tokens", json={}, headers=_as(token))
    assert hijack.status_code == 403


def test_tokens_are_shown_once_stored_hashed_and_revocable(
    client: TestClient, runtime: Runtime
) -> None:
    client.post("/api/users", json={"email": "carol@example.org", "name": "Carol"})
    created = client.post("/api/users/carol@example.org/tokens", json={"name": "ci"}).json()
    secret = created["token"]
    assert client.get("/api/me", headers=_as(secret)).json()["user"]["email"] == "carol@example.org"
    with runtime.db.read() as tx:
        stored = tx.fetchall("SELECT * FROM api_tokens WHERE id = ?", (created["id"],))
    assert stored and all(secret not in str(value) for value in stored[0])

    listed = client.get("/api/users/carol@example.org/tokens").json()
    assert [t["name"] for t in listed] == ["ci"]
    assert listed[0]["last_used_at"] is not None and "token" not in listed[0]
    revoked = client.delete(f"/api/tokens/{created['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = client.get("/api/me", headers=_as(secret))
    assert refused.status_code == 401
    assert {"token.created", "token.revoked", "token.new_address"} <= {
        entry["action"] for entry in _actions(client, "token")
    }


def test_password_login_is_audited(client: TestClient) -> None:
    client.post(
        "/api/users",
        json={"email": "dave@example.org", "name": "Dave", "password": "correct horse"},
    )
    wrong = client.post(
        "/api/login", json={"email": "dave@example.org", "password": "wrong horse"}, headers={}
    )
    assert wrong.status_code == 401
    good = client.post(
        "/api/login", json={"email": "dave@example.org", "password": "correct horse"}
    )
    assert good.status_code == 200
    token = good.json()["token"]
    assert token["expires_at"]
    assert client.get("/api/me", headers=_as(token["token"])).json()["user"]["name"] == "Dave"
    actions = [entry["action"] for entry in _actions(client, "login")]
    assert actions[:2] == ["login", "login.failed"]


def test_organizations_and_markings(client: TestClient) -> None:
    org = client.post("/api/organizations", json={"name": "CIRCL"}).json()
    assert client.get("/api/organizations/circl").json()["id"] == org["id"]
    assert client.post("/api/organizations", json={"name": "circl"}).status_code == 409
    assert [o["name"] for o in client.get("/api/organizations").json()] == ["CIRCL"]
    assert client.delete(f"/api/organizations/{org['id']}").status_code == 204
    assert client.get("/api/organizations").json() == []

    marking = client.post("/api/markings", json={"statement": "Copyright CIRCL"}).json()
    assert marking["definition_type"] == "statement" and not marking["built_in"]
    listed = {m["name"] for m in client.get("/api/markings").json()}
    assert {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:RED", "Copyright CIRCL"} <= listed
    group = client.post(
        "/api/groups", json={"name": "Partners", "allowed_markings": [marking["id"]]}
    )
    assert group.json()["allowed_markings"] == [marking["id"]]
    tlp_red = next(m for m in client.get("/api/markings").json() if m["name"] == "TLP:RED")
    assert client.delete(f"/api/markings/{tlp_red['id']}").status_code == 409
    assert client.delete(f"/api/markings/{marking['id']}").status_code == 204
