"""TAXII Push: taxii2-client pushes to an ingester's collection and polls the status."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from taxii2client.v21 import Collection, Server

from stixflow.access.capabilities import Capability
from stixflow.api.app import create_app
from stixflow.runtime import Runtime
from stixflow.store.base import Access
from stixflow.taxii.media import TAXII_21
from stixflow.taxii.push import SCORE_EXTENSION
from tests.support import TLP_AMBER, TLP_GREEN, malware, sdo
from tests.taxii.conftest import LiveServer
from tests.taxii.support import Bearer

pytestmark = pytest.mark.timeout(120)


def push_ingester(live: LiveServer, admin_token: str, **spec: Any) -> dict[str, Any]:
    body = {"name": f"partner {uuid.uuid4().hex[:6]}", "running": True, **spec}
    answer = requests.post(
        f"{live.url}/api/ingestion/taxii-push",
        json=body,
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def indicator(confidence: int, **props: Any) -> dict[str, Any]:
    return sdo(
        "indicator",
        f"ioc {confidence}",
        pattern="[domain-name:value = 'evil.example']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00.000Z",
        confidence=confidence,
        **props,
    )


def test_push_then_poll_status_until_complete(
    runtime: Runtime, live: LiveServer, admin_token: str, make_user: Any, worker: None
) -> None:
    pusher_id, pusher = make_user(Capability.TAXIIAPI)
    ingester = push_ingester(
        live, admin_token, authorized={"users": [pusher_id]}, confidence_to_score=True
    )
    server = Server(f"{live.url}/taxii2/", auth=Bearer(pusher))
    [collection] = [c for c in server.default.collections if c.id == ingester["id"]]
    assert collection.can_write and not collection.can_read

    broken = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}"}
    good = [malware("qakbot"), indicator(75)]
    status = collection.add_objects(
        {"objects": [*good, broken]}, wait_for_completion=True, poll_interval=0.2, timeout=30
    )

    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (3, 2, 1)
    assert status.pending_count == 0
    [failure] = status.failures
    assert failure["id"] == broken["id"] and failure["message"]
    stored = runtime.store.get(good[1]["id"], access=Access.everything())
    assert stored is not None
    assert stored.data["extensions"][SCORE_EXTENSION]["score"] == 75
    assert f"taxii-push-{ingester['id']}" in stored.sources


def test_refused_pushes(
    runtime: Runtime, live: LiveServer, admin_token: str, make_user: Any
) -> None:
    allowed_id, allowed = make_user(Capability.TAXIIAPI)
    _, outsider = make_user(Capability.TAXIIAPI)
    ingester = push_ingester(live, admin_token, authorized={"users": [allowed_id]})
    url = f"{live.url}/taxii2/root/collections/{ingester['id']}/"
    envelope = {"objects": [malware("x")]}

    def push(token: str) -> int:
        info = {"id": ingester["id"], "title": "t", "can_read": False, "can_write": True}
        collection = Collection(url, auth=Bearer(token), collection_info=info)
        try:
            collection.add_objects(envelope, wait_for_completion=False)
        except requests.HTTPError as exc:
            return int(exc.response.status_code)
        return 202

    assert push("sfx_wrong-token") == 401
    assert push(outsider) == 403
    assert push(allowed) == 202
    requests.post(
        f"{live.url}/api/ingestion/taxii-push/{ingester['id']}/stop",
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    ).raise_for_status()
    assert push(allowed) == 403

    headers = {"Authorization": f"Bearer {allowed}", "Accept": TAXII_21}
    read = requests.get(f"{url}objects/", headers=headers, timeout=10)
    assert read.status_code in (403, 404)
    assert read.headers["content-type"] == TAXII_21


def test_empty_envelope_bad_content_type_and_size_limit(runtime: Runtime, admin_token: str) -> None:
    small = dataclasses.replace(
        runtime, settings=runtime.settings.model_copy(update={"max_body_bytes": 64 * 1024})
    )
    with TestClient(create_app(small)) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        created = client.post("/api/ingestion/taxii-push", json={"name": "p", "running": True})
        url = f"/taxii2/root/collections/{created.json()['id']}/objects/"
        headers = {"Accept": TAXII_21, "Content-Type": TAXII_21}
        empty = client.post(url, json={"objects": []}, headers=headers)
        assert empty.status_code == 400 and empty.json()["http_status"] == "400"
        wrong = client.post(
            url,
            json={"objects": [malware("a")]},
            headers={**headers, "Content-Type": "application/json"},
        )
        assert wrong.status_code == 415
        big = {"objects": [malware("m" * 1000) for _ in range(100)]}
        assert client.post(url, json=big, headers=headers).status_code == 413


def test_status_is_the_pushers_only(
    runtime: Runtime, live: LiveServer, admin_token: str, make_user: Any
) -> None:
    pusher_id, pusher = make_user(Capability.TAXIIAPI)
    _, other = make_user(Capability.TAXIIAPI, allowed=[TLP_GREEN])
    push_ingester(live, admin_token, authorized={"users": [pusher_id]})
    server = Server(f"{live.url}/taxii2/", auth=Bearer(pusher))
    [collection] = server.default.collections
    status = collection.add_objects(
        {"objects": [malware("secret", object_marking_refs=[TLP_AMBER])]},
        wait_for_completion=False,
    )
    headers = {"Authorization": f"Bearer {other}", "Accept": TAXII_21}
    answer = requests.get(
        f"{live.url}/taxii2/root/status/{status.id}/", headers=headers, timeout=10
    )
    assert answer.status_code == 404
    mine = requests.get(
        f"{live.url}/taxii2/root/status/{status.id}/",
        headers={**headers, "Authorization": f"Bearer {pusher}"},
        timeout=10,
    )
    assert mine.status_code == 200 and mine.json()["total_count"] == 1
