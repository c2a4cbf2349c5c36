"""The registry, state, reset (purge count, capability, audit) and works, over the REST API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from stixflow.access import audit
from stixflow.access.capabilities import Capability
from stixflow.connectors.model import push_queue
from stixflow.runtime import Runtime
from tests.support import bundle, drain, malware

CONNECTOR = {"id": "feed-one", "name": "Feed one", "type": "EXTERNAL_IMPORT"}


def register(client: TestClient, **overrides: object) -> dict:
    answer = client.post("/api/connectors", json={**CONNECTOR, **overrides})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_register_list_show(client: TestClient) -> None:
    created = register(client, scope=["x"])
    assert created["status"] == "alive" and created["queue_depth"] == 0
    assert created["user_id"] and not created["built_in"]
    listed = {c["id"]: c for c in client.get("/api/connectors").json()}
    assert listed["feed-one"]["name"] == "Feed one"
    again = register(client, name="Feed one renamed")
    assert again["name"] == "Feed one renamed"
    assert client.get("/api/connectors/feed-one").json()["name"] == "Feed one renamed"
    assert client.get("/api/connectors/nope").status_code == 404


def test_register_needs_connectorapi(client: TestClient, user_token: Callable[..., str]) -> None:
    reader = user_token(Capability.KNOWLEDGE)
    answer = client.post(
        "/api/connectors", json=CONNECTOR, headers={"Authorization": f"Bearer {reader}"}
    )
    assert answer.status_code == 403 and answer.json()["capability"] == "CONNECTORAPI"


def test_state_survives_and_reset_is_picked_up_once(client: TestClient) -> None:
    register(client)
    put = client.put("/api/connectors/feed-one/state", json={"state": {"cursor": 41}})
    assert put.json() == {"state": {"cursor": 41}, "reset": False}
    assert client.get("/api/connectors/feed-one/state").json()["state"] == {"cursor": 41}
    assert client.post("/api/connectors/feed-one/reset").json()["purged"] == 0
    assert client.get("/api/connectors/feed-one/state").json()["state"] is None
    # the running connector's next ping: its state is ignored once, it learns of the reset
    ping = client.post("/api/connectors/feed-one/ping", json={"state": {"cursor": 42}})
    assert ping.json() == {"state": None, "reset": True}
    ping = client.post("/api/connectors/feed-one/ping", json={"state": {"cursor": 1}})
    assert ping.json() == {"state": {"cursor": 1}, "reset": False}


def test_unstorable_state_is_refused(client: TestClient) -> None:
    register(client)
    answer = client.put("/api/connectors/feed-one/state", json={"state": {"n": -(2**70)}})
    assert answer.status_code == 400
    big = {"state": {"blob": "x" * (1024 * 1024 + 1)}}
    assert client.put("/api/connectors/feed-one/state", json=big).status_code == 400


def test_reset_purges_waiting_messages(
    client: TestClient, runtime: Runtime, user_token: Callable[..., str]
) -> None:
    register(client)
    for index in range(3):
        client.post(
            "/api/connectors/feed-one/bundles", content=_bundle_text(f"m{index}")
        ).raise_for_status()
    assert runtime.queue.depth(push_queue("feed-one")) == 3
    assert client.get("/api/connectors/feed-one/reset").json()["messages"] == 3
    denied = user_token(Capability.CONNECTORAPI, Capability.KNOWLEDGE)
    refused = client.post(
        "/api/connectors/feed-one/reset", headers={"Authorization": f"Bearer {denied}"}
    )
    assert refused.status_code == 403 and refused.json()["capability"] == "CONNECTOR_STATE"
    assert client.post("/api/connectors/feed-one/reset").json() == {
        "connector_id": "feed-one",
        "purged": 3,
    }
    assert runtime.queue.depth(push_queue("feed-one")) == 0
    entry = audit.entries(runtime.db, action="connector.state_reset")[0]
    assert entry.target == "feed-one" and "purged 3" in entry.detail


def test_work_counts_and_completion(client: TestClient, runtime: Runtime) -> None:
    register(client)
    work = client.post("/api/connectors/feed-one/works", json={"name": "run 1"}).json()
    assert work["status"] == "pending" and work["expected"] == 0
    for name in ("a", "b"):
        answer = client.post(
            f"/api/connectors/feed-one/bundles?work_id={work['id']}", content=_bundle_text(name)
        )
        assert answer.status_code == 202 and answer.json()["work_id"] == work["id"]
    done = drain(runtime, work["id"])
    assert (done.expected, done.processed, done.failed) == (2, 2, 0)
    listed = client.get("/api/connectors/feed-one/works").json()
    assert [w["id"] for w in listed] == [work["id"]] and listed[0]["progress"] == 1.0


def test_multipart_work_waits_for_processed(client: TestClient, runtime: Runtime) -> None:
    register(client)
    work = client.post(
        "/api/connectors/feed-one/works", json={"name": "multi", "multipart": True}
    ).json()
    client.post(f"/api/connectors/feed-one/bundles?work_id={work['id']}", content=_bundle_text("z"))
    from stixflow.worker.loop import Worker

    worker = Worker(runtime, name="t")
    while worker.run_once(timeout=0.2):
        pass
    assert runtime.works.get(work["id"]).status != "complete"
    answer = client.post(f"/api/connectors/feed-one/works/{work['id']}/processed", json={})
    assert answer.json()["status"] == "complete"


def test_delete(client: TestClient, runtime: Runtime) -> None:
    register(client)
    assert client.delete("/api/connectors/feed-one").status_code == 204
    assert client.get("/api/connectors/feed-one").status_code == 404
    assert push_queue("feed-one") not in runtime.registry.names()


def _bundle_text(name: str) -> bytes:
    import orjson

    return orjson.dumps(bundle(malware(name)))
