"""The Connectors tab, a connector's page and "Reset state" (``CONNECTOR_STATE`` only).

The server runs without workers, so the bundles a connector pushes stay queued: the queue depth,
the pop-up's message count and the purge count are all that number.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import orjson
import pytest

from tests.support import bundle, malware
from tests.web.conftest import PHONE, UiInstance, login, shot

QUEUED = 3
READER_EMAIL = "reader@example.org"
READER_PASSWORD = "reader password 1"


class QueuedInstance(UiInstance):
    """No workers: pushed messages wait in the queue."""

    def env(self) -> dict[str, str]:
        return {**super().env(), "STIXFLOW_WORKERS": "0"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiInstance]:
    instance = QueuedInstance("ui", tmp_path_factory.mktemp("ui")).start()
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def connector(server: UiInstance) -> dict[str, str]:
    """A registered connector with a state, a run in progress and ``QUEUED`` waiting bundles."""
    name = f"Feed {uuid.uuid4().hex[:6]}"
    spec = {"id": f"feed-{uuid.uuid4().hex[:8]}", "name": name, "type": "EXTERNAL_IMPORT"}
    server.call("POST", "/api/connectors", json=spec)
    base = f"/api/connectors/{spec['id']}"
    state = {"state": {"cursor": "2024-06-01T00:00:00Z", "page": 7}}
    server.call("PUT", f"{base}/state", json=state)
    work = server.call("POST", f"{base}/works", json={"name": "run of the day"})
    for index in range(QUEUED):
        body = orjson.dumps(bundle(malware(f"{name} sample {index}")))
        server.call("POST", f"{base}/bundles", params={"work_id": work["id"]}, content=body)
    return spec


def test_reset_state_purges_the_queued_messages(page, server: UiInstance, connector) -> None:
    login(page)
    page.goto("/data/ingestion/connectors")
    row = page.locator(f"#connectors-table tr[data-name='{connector['name']}']")
    assert row.locator(".queue-depth").inner_text() == str(QUEUED)
    assert "alive" in row.locator(".badge").inner_text()
    shot(page, "ingestion-connectors")

    row.locator("a", has_text=connector["name"]).click()
    page.wait_for_selector("#connector-state")
    assert '"page": 7' in page.locator("#connector-state").inner_text()
    work = page.locator("#works-table tr", has_text="run of the day")
    assert work.locator(".progress").inner_text().strip() == f"0 / {QUEUED}"
    assert page.locator("#connector-queue-depth").inner_text() == str(QUEUED)
    shot(page, "connector-page")

    page.click("#reset-state")
    dialog = page.locator("#reset-dialog")
    dialog.wait_for()
    assert f"Its state will be cleared and {QUEUED} queued messages will be purged" in " ".join(
        dialog.inner_text().split()
    )
    shot(page, "connector-reset-popup", full_page=False)
    dialog.locator("button", has_text="Reset").last.click()
    page.wait_for_selector(f"text=State reset: {QUEUED} messages purged.")
    page.click("button:has-text('Close')")
    page.wait_for_selector("#connector-state:has-text('No state')")
    assert page.locator("#connector-queue-depth").inner_text() == "0"

    page.goto("/data/ingestion/connectors")
    assert row.locator(".queue-depth").inner_text() == "0"
    assert server.call("GET", f"/api/connectors/{connector['id']}")["state"] is None


def test_burger_menu_offers_reset_and_the_list_fits_a_phone(
    browser, server: UiInstance, connector
) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    phone = context.new_page()
    login(phone)
    phone.goto("/data/ingestion/connectors")
    row = phone.locator(f"#connectors-table tr[data-name='{connector['name']}']")
    row.locator("summary").click()
    row.locator("button", has_text="Reset state").click()
    phone.wait_for_selector("#reset-dialog")
    assert connector["name"] in phone.locator("#reset-dialog").inner_text()
    phone.click("#reset-dialog button:has-text('Cancel')")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the connectors tab scrolls sideways on a phone ({width} px)"
    context.close()


def test_a_user_without_connector_state_cannot_reset(page, server: UiInstance, connector) -> None:
    server.call("POST", "/api/groups", json={"name": "Readers", "capabilities": ["KNOWLEDGE"]})
    reader = {
        "email": READER_EMAIL,
        "name": "Reader",
        "password": READER_PASSWORD,
        "groups": ["Readers"],
    }
    server.call("POST", "/api/users", json=reader)
    login(page, email=READER_EMAIL, password=READER_PASSWORD)

    page.goto("/data/ingestion/connectors")
    row = page.locator(f"#connectors-table tr[data-name='{connector['name']}']")
    assert row.is_visible()
    assert page.locator("text=Reset state").count() == 0
    assert row.locator("summary").count() == 0
    row.locator("a", has_text=connector["name"]).click()
    page.wait_for_selector("#connector-attrs")
    assert page.locator("text=Reset state").count() == 0

    path = f"/data/ingestion/connectors/{connector['id']}/reset"
    refused = page.request.post(path, headers={"Origin": server.url})
    assert refused.status == 403
    assert "CONNECTOR_STATE" in refused.text()
