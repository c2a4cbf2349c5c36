"""The TAXII Push tab: create an ingester, read the endpoint it shows, start it, push a bundle to
that endpoint with the admin token, and see the objects counted and stored."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from stixflow.taxii.push import SCORE_EXTENSION
from tests.support import malware, sdo
from tests.web.conftest import UiInstance, login, shot

pytestmark = pytest.mark.timeout(120)

TAXII = "application/taxii+json;version=2.1"
NAME = "Partner ISAC"


def push(url: str, token: str, objects: list[dict]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII, "Content-Type": TAXII}
    return httpx.post(url, content=json.dumps({"objects": objects}), headers=headers, timeout=30)


def test_create_start_push_and_the_objects_arrive(page, server: UiInstance) -> None:
    login(page)
    page.goto("/data/ingestion/taxii-push")
    page.click("button:has-text('Create TAXII Push ingester')")
    page.fill("#f-name", NAME)
    page.check("input[type=checkbox][name=confidence_to_score]")
    page.click("#push-submit")
    endpoint = page.locator("#push-endpoint")
    endpoint.wait_for()
    url = endpoint.inner_text().strip()
    assert url.startswith(f"{server.url}/taxii2/") and url.endswith("/objects/")
    shot(page, "ingestion-taxii-push-created", full_page=False)
    page.click("#push-created button:has-text('Close')")

    row = page.locator(f"#taxii-push-table tr[data-name='{NAME}']")
    assert url in row.inner_text() and "stopped" in row.inner_text()
    qakbot = malware("qakbot")
    ioc = sdo(
        "indicator",
        "evil domain",
        pattern="[domain-name:value = 'evil.example']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00.000Z",
        confidence=80,
    )
    assert push(url, server.token, [qakbot, ioc]).status_code == 403  # stopped: refused

    row.locator("summary").click()
    row.locator("button:has-text('Start')").click()
    page.wait_for_selector(f"#taxii-push-table tr[data-name='{NAME}'] .badge-running")
    answer = push(url, server.token, [qakbot, ioc])
    assert answer.status_code == 202, answer.text
    assert answer.json()["total_count"] == 2

    deadline = time.monotonic() + 30
    while True:
        stored = server.http.get(f"/api/objects/{ioc['id']}")
        if stored.status_code == 200:
            break
        assert time.monotonic() < deadline, "the pushed indicator never arrived"
        time.sleep(0.3)
    assert stored.json()["object"]["extensions"][SCORE_EXTENSION]["score"] == 80
    page.reload()
    assert row.locator(".objects-ingested").inner_text() == "2"
    assert url in row.inner_text()
    shot(page, "ingestion-taxii-push")
