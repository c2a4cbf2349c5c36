"""A call we do not serve answers a GraphQL error naming it, never an empty success."""

from __future__ import annotations

from fastapi.testclient import TestClient

from stixflow.access.markings import ensure_builtin_markings
from stixflow.runtime import Runtime


def test_an_unserved_root_is_an_error_naming_it(client: TestClient) -> None:
    answer = client.post(
        "/graphql", json={"query": "query { securityCoverages { edges { node { id } } } }"}
    )
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert "securityCoverages" in error["message"]
    assert "data" not in answer.json() or answer.json()["data"] is None


def test_an_unserved_edit_is_an_error_naming_it(client: TestClient, runtime: Runtime) -> None:
    ensure_builtin_markings(runtime.db, runtime.store)
    created = client.post(
        "/graphql",
        json={
            "query": "mutation M($input: MalwareAddInput!) { malwareAdd(input: $input) { id } }",
            "variables": {"input": {"name": "Unserved", "is_family": True}},
        },
    ).json()["data"]["malwareAdd"]
    answer = client.post(
        "/graphql",
        json={
            "query": "mutation E($id: ID!, $input: StixRefRelationshipAddInput!) {"
            " stixDomainObjectEdit(id: $id) { relationAdd(input: $input) { id } } }",
            "variables": {
                "id": created["id"],
                "input": {"toId": created["id"], "relationship_type": "object-assignee"},
            },
        },
    ).json()
    assert "object-assignee" in answer["errors"][0]["message"]
    assert answer["data"]["stixDomainObjectEdit"]["relationAdd"] is None


def test_an_unserved_filter_operator_is_an_error_naming_it(client: TestClient) -> None:
    answer = client.post(
        "/graphql",
        json={
            "query": "query L($f: FilterGroup) { malwares(filters: $f) { edges { node { id } } } }",
            "variables": {
                "f": {
                    "mode": "and",
                    "filters": [{"key": "name", "values": ["x"], "operator": "script"}],
                    "filterGroups": [],
                }
            },
        },
    ).json()
    assert "'script'" in answer["errors"][0]["message"]
