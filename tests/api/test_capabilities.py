"""Every capability: the endpoint refuses a caller without it (403 naming it) and serves one
with it; no token or a bad token is a 401. On both back-end pairs.

Dead letters need ``BYPASS`` (tests/security/test_markings_hostile.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from tests.support import bundle, malware

C = Capability
CALLS: list[tuple[Capability, str, str, Any]] = [
    (C.KNOWLEDGE, "GET", "/api/objects", None),
    (C.KNOWLEDGE, "GET", "/api/works", None),
    (C.KNOWLEDGE, "GET", "/api/markings", None),
    (C.KNOWLEDGE_UPDATE, "POST", "/api/bundles", bundle(malware("Emotet"))),
    (C.EXPLORE, "GET", "/api/export", None),
    (C.SETTINGS, "GET", "/api/users", None),
    # a SETTINGS holder may create a group with no more than their own rights (none here)
    (C.SETTINGS, "POST", "/api/groups", {"name": "Analysts"}),
    (C.SETTINGS, "POST", "/api/organizations", {"name": "CIRCL"}),
    (C.SETTINGS, "POST", "/api/markings", {"statement": "Copyright CIRCL"}),
    (C.SETTINGS, "GET", "/api/audit", None),
]


def _call(client: TestClient, method: str, path: str, body: Any, token: str) -> Any:
    content = orjson.dumps(body) if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return client.request(method, path, content=content, headers=headers)


@pytest.mark.parametrize(("capability", "method", "path", "body"), CALLS)
def test_endpoint_needs_its_capability(
    client: TestClient,
    user_token: Callable[..., str],
    capability: Capability,
    method: str,
    path: str,
    body: Any,
) -> None:
    others = [c for c in Capability if c not in (capability, Capability.BYPASS)]
    refused = _call(client, method, path, body, user_token(*others))
    assert refused.status_code == 403
    assert refused.json()["capability"] == capability
    assert capability in refused.json()["error"]

    served = _call(client, method, path, body, user_token(capability))
    assert served.status_code < 300, served.text


def test_bypass_grants_everything(client: TestClient, user_token: Callable[..., str]) -> None:
    token = user_token(Capability.BYPASS)
    for _, method, path, body in CALLS:
        assert _call(client, method, path, body, token).status_code < 300, path
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["allowed_markings"] is None


def test_user_without_groups_can_only_ask_who_they_are(
    client: TestClient, user_token: Callable[..., str]
) -> None:
    token = user_token()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/objects", headers=headers).status_code == 403
    me = client.get("/api/me", headers=headers).json()
    assert me["capabilities"] == [] and me["allowed_markings"] == []


@pytest.mark.parametrize("path", ["/api/users", "/api/me", "/api/export", "/api/markings"])
def test_no_or_bad_token_is_401(client: TestClient, path: str) -> None:
    assert client.get(path, headers={"Authorization": ""}).status_code == 401
    response = client.get(path, headers={"Authorization": "Bearer sfx_not-a-token"})
    assert response.status_code == 401
    assert response.json()["error"]
