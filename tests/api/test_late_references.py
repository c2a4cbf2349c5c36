"""A reference to an object that arrives later (under another id) is linked when it arrives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.runtime import Runtime
from stixflow.stix.ids import deterministic_id
from stixflow.stix.markings import TLP_BY_NAME
from stixflow.store.base import Access
from stixflow.web.session import COOKIE
from tests.support import bundle, drain, malware, relationship, sdo

READER = (Capability.KNOWLEDGE, Capability.EXPLORE)
AMBER = TLP_BY_NAME["TLP:AMBER"]["id"]


def _import(client: TestClient, runtime: Runtime, *objects: dict[str, Any]) -> dict[str, Any]:
    accepted = client.post("/api/bundles", content=orjson.dumps(bundle(*objects))).json()
    drain(runtime, accepted["work_id"])
    return client.get(f"/api/works/{accepted['work_id']}").json()


def _page(client: TestClient) -> dict[str, str]:
    """Headers of a signed-in browser (the API token as session cookie; no API header)."""
    token = client.headers["Authorization"].split()[1]
    return {"Cookie": f"{COOKIE}={token}", "Authorization": ""}


def _exported(client: TestClient) -> dict[str, dict[str, Any]]:
    response = client.get("/api/export")
    assert response.status_code == 200
    return {obj["id"]: obj for obj in orjson.loads(response.content)["objects"]}


def test_relationship_before_its_target_is_linked_when_the_target_arrives(
    client: TestClient, runtime: Runtime
) -> None:
    actor = sdo("intrusion-set", "Early Actor")
    late = malware("Late Malware")  # a random id: re-identified to its name-based id on arrival
    rel = relationship(actor["id"], late["id"])
    canonical = deterministic_id(late)
    assert canonical is not None and canonical != late["id"]

    first = _import(client, runtime, actor, rel)
    assert (first["processed"], first["failed"], first["status"]) == (2, 0, "complete")
    warnings = [e["reason"] for e in first["errors"] if e["reason"].startswith("warning: ")]
    assert len(warnings) == 1 and late["id"] in warnings[0]
    missing = client.get("/api/references/missing").json()
    assert missing["count"] == 1
    assert missing["references"] == [{"object_id": rel["id"], "ref_id": late["id"]}]
    assert client.get(f"/api/objects/{rel['id']}").json()["missing_refs"] == [late["id"]]
    page = client.get("/knowledge/objects", headers=_page(client)).text
    assert "1 reference to objects not held yet" in page
    assert late["id"] in client.get(f"/knowledge/objects/{rel['id']}", headers=_page(client)).text

    second = _import(client, runtime, late)
    assert (second["processed"], second["failed"]) == (1, 0)
    assert not [e for e in second["errors"] if e["reason"].startswith("warning: ")]

    rels = client.get(f"/api/objects/{canonical}/relationships").json()
    assert [r["id"] for r in rels] == [rel["id"]]
    assert rels[0]["target_ref"] == canonical
    assert [r["id"] for r in client.get(f"/api/objects/{actor['id']}/relationships").json()] == [
        rel["id"]
    ]
    assert client.get("/api/references/missing").json()["count"] == 0
    assert client.get(f"/api/objects/{rel['id']}").json()["missing_refs"] == []
    assert "not held yet" not in client.get("/knowledge/objects", headers=_page(client)).text
    exported = _exported(client)
    assert exported[rel["id"]]["target_ref"] == canonical and canonical in exported
    # the rewrite is a new version of the relationship, seen by live streams
    with runtime.db.read() as tx:
        kinds = [
            row[0]
            for row in tx.fetchall(
                "SELECT kind FROM stream_events WHERE object_id = ? ORDER BY seq", (rel["id"],)
            )
        ]
    assert kinds == ["create", "update"]


def test_target_arriving_under_its_own_id_clears_the_warning(
    client: TestClient, runtime: Runtime
) -> None:
    indicator = sdo(
        "indicator",
        "bad domain",
        pattern="[domain-name:value = 'bad.example']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
    )
    actor = sdo("intrusion-set", "Pointing Actor")
    rel = relationship(indicator["id"], actor["id"], "indicates")
    _import(client, runtime, actor | {"id": "intrusion-set--6a2d1d6e-0000-4000-8000-000000000001"})
    first = _import(client, runtime, rel)
    assert any(e["reason"].startswith("warning: ") for e in first["errors"])
    assert client.get("/api/references/missing").json()["count"] == 2
    _import(client, runtime, indicator)
    found = client.get("/api/references/missing").json()
    assert found["count"] == 1  # the indicator is held now; the actor's id was never seen
    assert found["references"] == [{"object_id": rel["id"], "ref_id": actor["id"]}]


def test_missing_references_of_hidden_objects_are_not_shown(
    client: TestClient, runtime: Runtime, user_token: Callable[..., str]
) -> None:
    secret = sdo("intrusion-set", "Amber Actor", object_marking_refs=[AMBER])
    rel = relationship(secret["id"], "malware--0d1e6c52-0000-4000-8000-000000000002")
    rel["object_marking_refs"] = [AMBER]
    _import(client, runtime, secret, rel)
    assert client.get("/api/references/missing").json()["count"] == 1
    green = user_token(*READER, allowed=["TLP:GREEN"])
    seen = client.get("/api/references/missing", headers={"Authorization": f"Bearer {green}"})
    assert seen.status_code == 200
    assert seen.json()["count"] == 0 and seen.json()["references"] == []
    nobody = user_token()
    refused = client.get("/api/references/missing", headers={"Authorization": f"Bearer {nobody}"})
    assert refused.status_code == 403
    stored = runtime.store.get(rel["id"], access=Access.everything())
    assert stored is not None and stored.missing_refs == [rel["target_ref"]]
