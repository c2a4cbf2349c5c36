"""``connector_queue_details.messages_size`` is the size in bytes of what waits on the
connector's push queue: pycti's ``check_connector_buffering`` divides it by 10^6 and pauses the
connector above ``CONNECTOR_QUEUE_THRESHOLD`` megabytes."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from stixflow.connectors.model import push_queue
from stixflow.connectors.opencti import encode_push
from stixflow.runtime import Runtime
from tests.support import bundle, malware

CONNECTOR = {"id": "sized-feed", "name": "sized feed", "type": "EXTERNAL_IMPORT"}
QUERY = (
    "query($id: String!) { connector(id: $id) "
    "{ connector_queue_details { messages_number messages_size } } }"
)


def queue_details(client: TestClient) -> dict[str, float]:
    answer = client.post("/graphql", json={"query": QUERY, "variables": {"id": CONNECTOR["id"]}})
    body = answer.json()
    assert not body.get("errors"), body
    return dict(body["data"]["connector"]["connector_queue_details"])


def size_becomes(client: TestClient, expected: int, timeout: float = 30.0) -> float:
    """RabbitMQ refreshes its queue statistics every few seconds: poll."""
    deadline = time.monotonic() + timeout
    size = queue_details(client)["messages_size"]
    while size != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        size = queue_details(client)["messages_size"]
    return size


def test_messages_size_is_the_bytes_waiting_on_the_push_queue(
    client: TestClient, runtime: Runtime
) -> None:
    assert client.post("/api/connectors", json=CONNECTOR).status_code == 200
    assert queue_details(client) == {"messages_number": 0, "messages_size": 0}
    bodies = [
        encode_push(bundle(malware(f"Sized {i}")), work_id=None, applicant_id=None)
        for i in range(3)
    ]
    runtime.queue.publish_many(push_queue(CONNECTOR["id"]), bodies)
    assert size_becomes(client, sum(len(body) for body in bodies)) == sum(map(len, bodies))
    assert queue_details(client)["messages_number"] == 3
    assert client.post(f"/api/connectors/{CONNECTOR['id']}/reset").json()["purged"] == 3
    assert size_becomes(client, 0) == 0
