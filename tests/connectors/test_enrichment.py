"""Enrichment: automatic on creation of an object in scope, and on demand; the connector reads
the job over HTTP and what it sends back is ingested under the job's work."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient

from stixflow.connectors.callbacks import CallbackCourier, CallbackRecords
from stixflow.connectors.enrichment import dispatch_created, enriched_object
from stixflow.connectors.model import listen_queue
from stixflow.runtime import Runtime
from tests.support import bundle, drain, malware, sdo

ENRICHER = {
    "id": "enricher",
    "name": "Enricher",
    "type": "INTERNAL_ENRICHMENT",
    "scope": ["Malware"],
    "auto": True,
}


def test_automatic_and_manual_enrichment(client: TestClient, runtime: Runtime) -> None:
    assert client.post("/api/connectors", json=ENRICHER).status_code == 200
    dispatch_created(runtime)  # the dispatcher starts at the end of the event log
    sample = malware("Emotet")
    answer = client.post("/api/bundles", content=orjson.dumps(bundle(sample, sdo("tool", "x"))))
    drain(runtime, answer.json()["work_id"])
    assert dispatch_created(runtime) == 1  # the malware, not the tool (out of scope)
    job = client.get("/api/connectors/enricher/jobs", params={"wait": 2}).json()
    entity = orjson.loads(job["event"]["stix_entity"])
    assert entity["type"] == "malware" and job["event"]["entity_id"] == entity["id"]
    assert job["event"]["entity_type"] == "Malware"  # pycti reads the entity by this name
    work_id = job["internal"]["work_id"]
    note = sdo("note", "n", content="seen in the wild", object_refs=[entity["id"]])
    note.pop("name")
    pushed = client.post(
        f"/api/connectors/enricher/bundles?work_id={work_id}", content=orjson.dumps(bundle(note))
    )
    assert pushed.json()["work_id"] == work_id
    client.post(f"/api/connectors/enricher/works/{work_id}/processed", json={})
    done = drain(runtime, work_id)
    assert (done.expected, done.processed) == (1, 1)
    # on demand
    asked = client.post("/api/connectors/enricher/enrich", json={"object_id": entity["id"]})
    assert asked.status_code == 202
    again = client.get("/api/connectors/enricher/jobs", params={"wait": 2}).json()
    assert again["internal"]["work_id"] == asked.json()["work_id"]
    assert client.get("/api/connectors/enricher/jobs", params={"wait": 0}).status_code == 204


def test_a_reset_fails_the_works_of_the_jobs_it_drops(client: TestClient, runtime: Runtime) -> None:
    manual = {**ENRICHER, "id": "manual", "auto": False}
    assert client.post("/api/connectors", json=manual).status_code == 200
    sample = malware("Emotet")
    drain(
        runtime, client.post("/api/bundles", content=orjson.dumps(bundle(sample))).json()["work_id"]
    )
    ask = {"object_id": sample["id"]}
    taken = client.post("/api/connectors/manual/enrich", json=ask).json()["work_id"]
    job = client.get("/api/connectors/manual/jobs", params={"wait": 2}).json()
    assert job["internal"]["work_id"] == taken  # the connector has this one
    dropped = [
        client.post("/api/connectors/manual/enrich", json=ask).json()["work_id"] for _ in "ab"
    ]

    assert client.post("/api/connectors/manual/reset").json()["purged"] == 2
    for work_id in dropped:
        work = client.get(f"/api/works/{work_id}").json()
        assert work["status"] == "failed", work
        assert work["reason"] == "dropped by a reset of Enricher before the connector took it"
    assert client.get(f"/api/works/{taken}").json()["status"] == "pending"  # still the connector's
    kept = client.post("/api/connectors/manual/enrich", json=ask).json()["work_id"]
    assert client.get(f"/api/works/{kept}").json()["status"] == "pending"
    assert (
        client.get("/api/connectors/manual/jobs", params={"wait": 2}).json()["internal"]["work_id"]
        == kept
    )


def test_a_reset_drops_the_job_the_courier_holds_for_an_unreachable_connector(
    client: TestClient, runtime: Runtime
) -> None:
    """The courier holds a job while it tries to reach a connector that is down; a reset then
    counts it with the waiting ones, fails its work, and the courier drops it instead of putting
    it back. A job asked after the reset is kept for the connector.

    Embedded back end only: callbacks are its listen protocol, and the courier's hold is a row
    every process sees; on RabbitMQ the hold is an unacknowledged message of the courier's own
    connection, which a reset from another connection cannot count."""
    if not runtime.settings.is_embedded_broker:
        pytest.skip("the courier's hold is visible to a reset on the embedded queue only")
    manual = {**ENRICHER, "id": "manual", "auto": False}
    assert client.post("/api/connectors", json=manual).status_code == 200
    uri = "http://127.0.0.1:9/"  # nothing listens there (and loopback is refused by default)
    with runtime.db.transaction() as tx:
        CallbackRecords(runtime.db).save(tx, "manual", uri)
    sample = malware("Emotet")
    _import(client, runtime, sample)
    ask = {"object_id": sample["id"]}
    asked = [client.post("/api/connectors/manual/enrich", json=ask).json()["work_id"] for _ in "ab"]
    held = runtime.queue.receive([listen_queue("manual")], timeout=2)  # the courier's hold
    assert held is not None and orjson.loads(held.body)["internal"]["work_id"] == asked[0]

    assert client.post("/api/connectors/manual/reset").json()["purged"] == 2
    for work_id in asked:
        assert client.get(f"/api/works/{work_id}").json()["status"] == "failed"
    courier = CallbackCourier(runtime)
    assert courier.settle("manual", uri, held) is True  # dropped, not put back
    assert runtime.queue.depth(listen_queue("manual")) == 0

    kept = client.post("/api/connectors/manual/enrich", json=ask).json()["work_id"]
    again = runtime.queue.receive([listen_queue("manual")], timeout=2)
    assert again is not None
    assert courier.settle("manual", uri, again) is False  # unreachable: put back for later
    assert runtime.queue.depth(listen_queue("manual")) == 1
    assert client.get(f"/api/works/{kept}").json()["status"] == "pending"


def _stored(client: TestClient, object_id: str) -> dict:
    return dict(client.get(f"/api/objects/{object_id}").json()["object"])


def _score(client: TestClient, object_id: str) -> object:
    return _stored(client, object_id)["x_opencti_score"]


def _import(client: TestClient, runtime: Runtime, *objects: dict) -> None:
    drain(
        runtime,
        client.post("/api/bundles", content=orjson.dumps(bundle(*objects))).json()["work_id"],
    )


def test_an_enrichment_answer_wins_over_the_stored_copy_on_equal_modified(
    client: TestClient, runtime: Runtime
) -> None:
    """What an enrichment connector sends back about the object it was asked to enrich updates
    it even with the same ``modified`` (a new version: ``modified`` moves on); a feed's copy with
    the same ``modified`` does not, nor does the connector's copy of another object, nor its
    answer outside that enrichment's work."""
    scorer = {**ENRICHER, "id": "scorer", "scope": ["Indicator"], "auto": False}
    assert client.post("/api/connectors", json=scorer).status_code == 200
    indicator = sdo(
        "indicator",
        "C2",
        pattern="[ipv4-addr:value = '203.0.113.7']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
        x_opencti_score=30,
    )
    family = malware("Emotet", description="banking trojan")
    _import(client, runtime, indicator, family)
    _import(client, runtime, {**indicator, "x_opencti_score": 10})  # a feed, same modified
    assert _score(client, indicator["id"]) == 30

    asked = client.post("/api/connectors/scorer/enrich", json={"object_id": indicator["id"]})
    work_id = asked.json()["work_id"]
    job = client.get("/api/connectors/scorer/jobs", params={"wait": 2}).json()
    entity = orjson.loads(job["event"]["stix_entity"])
    answer = bundle({**entity, "x_opencti_score": 44}, {**family, "description": "changed"})
    pushed = client.post(
        f"/api/connectors/scorer/bundles?work_id={work_id}", content=orjson.dumps(answer)
    )
    assert pushed.status_code == 202, pushed.text
    client.post(f"/api/connectors/scorer/works/{work_id}/processed", json={})
    drain(runtime, work_id)
    enriched = _stored(client, indicator["id"])
    assert enriched["x_opencti_score"] == 44
    assert enriched["modified"] > indicator["modified"]  # a new version
    assert _stored(client, family["id"])["description"] == "banking trojan"

    # the same connector, outside an enrichment's work: the ordinary rule
    outside = bundle({**enriched, "x_opencti_score": 90})
    pushed = client.post("/api/connectors/scorer/bundles", content=orjson.dumps(outside))
    drain(runtime, pushed.json()["work_id"])
    assert _score(client, indicator["id"]) == 44
    # a deleted work forgets its job
    with runtime.db.read() as tx:
        assert enriched_object(tx, work_id, "scorer") == indicator["id"]
    assert runtime.works.delete(work_id)
    with runtime.db.read() as tx:
        assert enriched_object(tx, work_id, "scorer") is None
