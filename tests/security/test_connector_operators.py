"""A connector is run by the user who registered it: another CONNECTORAPI holder may not ping it,
write its state, open its works or push data into it (the data would be written with the
connector's user's rights). Administrators may. On both back-end pairs, through the REST API and
GraphQL (pycti's ``stixBundlePush``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.capabilities import Capability
from stixflow.api.app import create_app
from stixflow.connectors.service import ConnectorService
from stixflow.runtime import Runtime
from tests.api.conftest import admin_token, user_token  # noqa: F401  (shared fixtures)
from tests.support import TLP_AMBER, bundle, malware

CONNECTOR = {"id": "feed-of-a", "name": "Feed of A", "type": "EXTERNAL_IMPORT"}


@pytest.fixture
def client(runtime: Runtime, admin_token: str) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(runtime)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin_token}"
        yield test_client
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    for connector in service.records.list():
        service.delete(connector.id)


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _bundle() -> bytes:
    return orjson.dumps(bundle(malware("Operator test")))


def test_another_users_connector_cannot_be_run(
    client: TestClient,
    user_token: Callable[..., str],  # noqa: F811
) -> None:
    owner = user_token(Capability.CONNECTORAPI, allowed=[TLP_AMBER])
    other = user_token(Capability.CONNECTORAPI, Capability.KNOWLEDGE)
    assert client.post("/api/connectors", json=CONNECTOR, headers=_as(owner)).status_code < 300
    base = "/api/connectors/feed-of-a"

    refused = [
        client.post(f"{base}/ping", json={"state": {"cursor": 1}}, headers=_as(other)),
        client.put(f"{base}/state", json={"state": {"cursor": 2}}, headers=_as(other)),
        client.post(f"{base}/works", json={"name": "run"}, headers=_as(other)),
        client.post(f"{base}/bundles", content=_bundle(), headers=_as(other)),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert "another user" in answer.json()["error"]
    graphql = client.post(
        "/graphql",
        json={
            "query": "mutation($id: String!, $b: String!) "
            "{ stixBundlePush(connectorId: $id, bundle: $b) }",
            "variables": {"id": "feed-of-a", "b": _bundle().decode()},
        },
        headers=_as(other),
    )
    assert graphql.json()["data"]["stixBundlePush"] is None
    assert "another user" in graphql.json()["errors"][0]["message"]
    assert client.get(f"{base}/state").json()["state"] is None  # nothing written by the other

    assert client.put(f"{base}/state", json={"state": {"cursor": 3}}, headers=_as(owner)).is_success
    assert client.post(f"{base}/bundles", content=_bundle(), headers=_as(owner)).is_success
    assert client.post(f"{base}/ping", json={"state": {"cursor": 4}}).is_success  # the admin
    assert client.get(f"{base}/state").json()["state"] == {"cursor": 4}
