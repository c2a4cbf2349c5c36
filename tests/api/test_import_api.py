"""The minimal HTTP API of the import pipeline, as a client sees it."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient

from stixflow.runtime import Runtime
from tests.support import bundle, drain, malware, relationship


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/health", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_no_or_bad_token_is_401(client: TestClient) -> None:
    assert client.get("/api/works", headers={"Authorization": ""}).status_code == 401
    response = client.get("/api/works", headers={"Authorization": "Bearer sfx_wrong"})
    assert response.status_code == 401
    assert "token" in response.json()["error"]


def test_push_bundle_follow_work_and_read_objects(client: TestClient, runtime: Runtime) -> None:
    a, b = malware("Ursnif", labels=["banker"]), malware("Gozi")
    rel = relationship(a["id"], b["id"], "variant-of")
    response = client.post("/api/bundles", content=orjson.dumps(bundle(a, b, rel)))
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["expected"] == 3
    drain(runtime, accepted["work_id"])
    work = client.get(accepted["status_url"]).json()
    assert (work["status"], work["processed"], work["failed"]) == ("complete", 3, 0)

    page = client.get("/api/objects", params={"type": "malware", "text": "ursnif"}).json()
    assert [o["name"] for o in page["objects"]] == ["Ursnif"]
    stored = client.get(f"/api/objects/{a['id']}").json()
    assert stored["object"]["labels"] == ["banker"]
    assert stored["sources"] == ["import"]
    assert len(stored["creators"]) == 1
    rels = client.get(f"/api/objects/{a['id']}/relationships").json()
    assert [r["relationship_type"] for r in rels] == ["variant-of"]


def test_malformed_bundle_is_a_clear_400(client: TestClient) -> None:
    response = client.post("/api/bundles", content=b'{"type": "bundle", "objects": ')
    assert response.status_code == 400
    assert response.json()["error"]
    response = client.post("/api/bundles", content=b'{"type": "bundle", "objects": []}')
    assert response.status_code == 400


def test_body_over_the_limit_is_413(runtime: Runtime, client: TestClient) -> None:
    limit = runtime.settings.max_body_bytes
    response = client.post("/api/bundles", content=b" " * (limit + 1))
    assert response.status_code == 413


def test_unknown_object_and_work_are_404(client: TestClient) -> None:
    assert (
        client.get("/api/objects/malware--00000000-0000-4000-8000-000000000000").status_code == 404
    )
    assert client.get("/api/works/nope").status_code == 404


def test_dead_letters_are_listed(client: TestClient, runtime: Runtime) -> None:
    from stixflow.worker.loop import Worker

    name = runtime.registry.ensure(runtime.queue, "broken")
    runtime.queue.publish(name, b"garbage")
    Worker(runtime).run_once(timeout=2)
    letters = client.get("/api/dead-letters").json()
    assert len(letters) == 1 and letters[0]["queue"] == name


def test_openapi_document_is_served(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/bundles" in spec["paths"]
