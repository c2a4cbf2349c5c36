"""How a pycti work ends, through pycti's GraphQL calls and pycti-format queue messages:

- it is not complete while its connector is still sending, even when the workers caught up
  with everything sent so far (pycti adds each bundle's expectations only as it sends it); it
  completes once the connector said it is done (``toProcessed``) and everything was counted;
- a reset of its connector ends it (its queued messages are purged and will never be counted),
  with a message saying why, instead of leaving it in progress forever.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from stixflow.connectors.model import push_queue
from stixflow.connectors.opencti import encode_push
from stixflow.runtime import Runtime
from stixflow.worker.loop import Worker
from tests.support import bundle, malware

CONNECTOR = {"id": "pycti-feed", "name": "pycti feed", "type": "EXTERNAL_IMPORT"}


def graphql(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    answer = client.post("/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert not body.get("errors"), body["errors"]
    return dict(body["data"])


def open_work(client: TestClient) -> str:
    assert client.post("/api/connectors", json=CONNECTOR).status_code == 200
    data = graphql(
        client,
        'mutation($c: String!) { workAdd(connectorId: $c, friendlyName: "run") { id } }',
        c=CONNECTOR["id"],
    )
    return str(data["workAdd"]["id"])


def edit(client: TestClient, work_id: str, field: str) -> None:
    graphql(client, f"mutation($id: ID!) {{ workEdit(id: $id) {{ {field} }} }}", id=work_id)


def work_status(client: TestClient, work_id: str) -> dict[str, Any]:
    data = graphql(
        client,
        "query($id: ID!) { work(id: $id) { status errors { message } "
        "tracking { import_expected_number import_processed_number } } }",
        id=work_id,
    )
    return dict(data["work"])


def send_like_pycti(client: TestClient, runtime: Runtime, work_id: str, names: list[str]) -> None:
    """pycti's ``send_stix2_bundle``: expectations first, then one message per object."""
    edit(client, work_id, f"addExpectations(expectations: {len(names)})")
    for name in names:
        body = encode_push(bundle(malware(name)), work_id=work_id, applicant_id=None)
        runtime.queue.publish(push_queue(CONNECTOR["id"]), body)


def work_off(runtime: Runtime, count: int) -> None:
    """Apply exactly ``count`` queued messages, one at a time."""
    worker = Worker(runtime, name="test")
    for handled in range(count):
        delivery = runtime.queue.receive([push_queue(CONNECTOR["id"])], timeout=10)
        assert delivery is not None, f"only {handled} of {count} messages came"
        worker.handle(delivery)


def test_work_completes_only_once_pycti_marks_it_processed(
    client: TestClient, runtime: Runtime
) -> None:
    work_id = open_work(client)
    send_like_pycti(client, runtime, work_id, ["First bundle A", "First bundle B"])
    work_off(runtime, 2)
    caught_up = work_status(client, work_id)
    assert caught_up["tracking"] == {"import_expected_number": 2, "import_processed_number": 2}
    assert caught_up["status"] == "progress"  # the connector has not said it is done
    send_like_pycti(client, runtime, work_id, ["Second bundle"])
    edit(client, work_id, 'toProcessed(message: "sent everything")')
    assert work_status(client, work_id)["status"] == "progress"  # one message still queued
    work_off(runtime, 1)
    done = work_status(client, work_id)
    assert done["status"] == "complete"
    assert done["tracking"] == {"import_expected_number": 3, "import_processed_number": 3}


def test_work_with_nothing_sent_completes_when_marked_processed(
    client: TestClient, runtime: Runtime
) -> None:
    work_id = open_work(client)
    assert work_status(client, work_id)["status"] != "complete"
    edit(client, work_id, 'toProcessed(message: "nothing new")')
    assert work_status(client, work_id)["status"] == "complete"


def test_reset_ends_the_interrupted_work_with_a_message(
    client: TestClient, runtime: Runtime
) -> None:
    work_id = open_work(client)
    send_like_pycti(client, runtime, work_id, ["Reset A", "Reset B", "Reset C"])
    work_off(runtime, 1)
    assert work_status(client, work_id)["status"] == "progress"
    answer = client.post(f"/api/connectors/{CONNECTOR['id']}/reset")
    assert answer.json()["purged"] == 2
    ended = work_status(client, work_id)
    assert ended["status"] == "complete"  # OpenCTI knows no failed work: finished
    assert any("connector was reset" in error["message"] for error in ended["errors"])
    assert runtime.works.get(work_id).status == "failed"  # type: ignore[union-attr]
    # the connector, not yet aware of the reset, still says it is done: the work stays ended
    edit(client, work_id, 'toProcessed(message: "sent everything")')
    assert runtime.works.get(work_id).status == "failed"  # type: ignore[union-attr]


def test_reset_leaves_finished_works_and_other_connectors_alone(
    client: TestClient, runtime: Runtime
) -> None:
    work_id = open_work(client)
    send_like_pycti(client, runtime, work_id, ["Finished"])
    edit(client, work_id, "toProcessed")
    work_off(runtime, 1)
    assert client.post("/api/connectors", json={**CONNECTOR, "id": "other-feed"}).is_success
    other = runtime.works.open(name="other", source="other-feed", user_id=None, multipart=True)
    assert client.post(f"/api/connectors/{CONNECTOR['id']}/reset").is_success
    finished = runtime.works.get(work_id)
    assert finished is not None and (finished.status, finished.reason) == ("complete", None)
    untouched = runtime.works.get(other.id)
    assert untouched is not None and untouched.status == "pending"
