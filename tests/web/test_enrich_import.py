"""An object's *Enrich* action and the *Data > Import* page, driven in Chromium against a real
``stixflow serve``.

The connectors answering the jobs are small programs of the test that speak our HTTP listen
protocol over loopback (``GET /api/connectors/{id}/jobs``, ``/storage/get``, ``POST .../bundles``):
what they send back must land on the object, and the page must follow the work to its end.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from tests.support import bundle, malware, sdo
from tests.web.conftest import PHONE, UiInstance, login, shot

Handler = Callable[[httpx.Client, dict[str, Any]], list[dict[str, Any]]]
READER_EMAIL = "enrich-reader@example.org"
READER_PASSWORD = "reader password 2"
LABEL = "seen-by-the-labeller"


class PullConnector:
    """A registered connector that takes its jobs over HTTP and answers each with ``handle``'s
    objects, pushed under the job's work."""

    def __init__(self, server: UiInstance, spec: dict[str, Any], handle: Handler) -> None:
        self.id = spec["id"]
        self.handle = handle
        server.call("POST", "/api/connectors", json=spec)
        self.http = httpx.Client(base_url=server.url, headers=dict(server.http.headers), timeout=30)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        base = f"/api/connectors/{self.id}"
        while not self._stop.is_set():
            answer = self.http.get(f"{base}/jobs", params={"wait": 1})
            if answer.status_code != 200:
                continue
            job = answer.json()
            work_id = job["internal"]["work_id"]
            objects = self.handle(self.http, job["event"])
            body = orjson.dumps(bundle(*objects))
            self.http.post(f"{base}/bundles", params={"work_id": work_id}, content=body)
            self.http.post(f"{base}/works/{work_id}/processed", json={})

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.http.close()


def label_it(_: httpx.Client, event: dict[str, Any]) -> list[dict[str, Any]]:
    """An enrichment: the entity again, newer, with a label."""
    entity = orjson.loads(event["stix_entity"])
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    return [{**entity, "labels": [LABEL], "modified": stamp}]


def import_it(http: httpx.Client, event: dict[str, Any]) -> list[dict[str, Any]]:
    """A file import: the uploaded bundle's objects."""
    content = http.get(event["file_fetch"])
    content.raise_for_status()
    objects: list[dict[str, Any]] = orjson.loads(content.content)["objects"]
    return objects


@pytest.fixture(scope="module")
def connectors(server: UiInstance) -> Iterator[dict[str, str]]:
    tag = uuid.uuid4().hex[:6]
    specs = {
        "labeller": {"name": f"Labeller {tag}", "scope": ["Malware"]},
        "indicators": {"name": f"Indicator checker {tag}", "scope": ["Indicator"]},
    }
    running = [
        PullConnector(
            server,
            {"id": f"labeller-{tag}", "type": "INTERNAL_ENRICHMENT", **specs["labeller"]},
            label_it,
        ),
        PullConnector(
            server,
            {
                "id": f"importer-{tag}",
                "type": "INTERNAL_IMPORT_FILE",
                "name": f"JSON {tag}",
                "scope": ["application/json"],
            },
            import_it,
        ),
    ]
    server.call(
        "POST",
        "/api/connectors",
        json={"id": f"indicators-{tag}", "type": "INTERNAL_ENRICHMENT", **specs["indicators"]},
    )
    yield {
        "labeller": specs["labeller"]["name"],
        "indicators": specs["indicators"]["name"],
        "importer": f"JSON {tag}",
    }
    for connector in running:
        connector.stop()


@pytest.fixture(scope="module")
def reader(server: UiInstance) -> dict[str, str]:
    """A user who may read knowledge but not change it."""
    server.call(
        "POST", "/api/groups", json={"name": "Enrich readers", "capabilities": ["KNOWLEDGE"]}
    )
    user = {
        "email": READER_EMAIL,
        "name": "Reader",
        "password": READER_PASSWORD,
        "groups": ["Enrich readers"],
    }
    server.call("POST", "/api/users", json=user)
    return user


def test_enrich_lists_the_connectors_in_scope_and_the_label_lands(
    page, server: UiInstance, connectors: dict[str, str]
) -> None:
    target = malware(f"Emotet {uuid.uuid4().hex[:6]}")
    server.push(target)
    login(page)
    page.goto(f"/knowledge/objects/{target['id']}")
    assert page.locator("dd[data-key='labels']").count() == 0

    page.click("#enrich")
    dialog = page.locator("#enrich-dialog")
    dialog.wait_for()
    listed = page.locator("#enrichers-table tbody").inner_text()
    assert connectors["labeller"] in listed
    assert connectors["indicators"] not in listed  # its scope does not take malware

    dialog.locator("tr", has_text=connectors["labeller"]).locator("button").click()
    page.wait_for_selector("#enrich-dialog .work-follow[data-status='complete']", timeout=60_000)
    assert "Enrichment asked of" in dialog.inner_text()
    shot(page, "object-enrich", full_page=False)
    dialog.locator("a", has_text="Reload the object").click()
    page.wait_for_selector("dd[data-key='labels']")
    assert LABEL in page.locator("dd[data-key='labels']").inner_text()
    assert server.get(target["id"])["labels"] == [LABEL]


def test_a_reader_has_no_enrich_action(
    page, server: UiInstance, connectors: dict[str, str], reader: dict[str, str]
) -> None:
    target = malware(f"Qakbot {uuid.uuid4().hex[:6]}")
    server.push(target)
    login(page, email=reader["email"], password=reader["password"])
    page.goto(f"/knowledge/objects/{target['id']}")
    page.wait_for_selector("#attributes")
    assert page.locator("#enrich").count() == 0

    path = f"/knowledge/objects/{target['id']}/enrich"
    assert page.request.get(path).status == 403
    labeller = page.request.post(
        path, headers={"Origin": server.url}, form={"connector_id": "anything"}
    )
    assert labeller.status == 403 and "KNOWLEDGE_UPDATE" in labeller.text()
    assert "labels" not in server.get(target["id"])


def test_import_page_uploads_a_bundle_and_follows_the_import(
    page, server: UiInstance, connectors: dict[str, str]
) -> None:
    sample = malware(f"Dridex {uuid.uuid4().hex[:6]}", description="from an uploaded file")
    tool = sdo("tool", f"mimikatz {uuid.uuid4().hex[:6]}")
    content = orjson.dumps(bundle(sample, tool))
    login(page)
    page.click("nav a[href='/data/import']")
    page.wait_for_selector("#import-form")
    assert connectors["importer"] in page.locator("#f-connector_id").inner_text()

    page.set_input_files(
        "#f-file",
        files=[{"name": "sample.json", "mimeType": "application/json", "buffer": content}],
    )
    page.click("#import-submit")
    page.wait_for_selector("#import-result .work-follow[data-status='complete']", timeout=60_000)
    assert "1 import queued" in page.locator("#import-result").inner_text()
    found = server.get(sample["id"])
    assert found is not None and found["description"] == "from an uploaded file"
    assert server.get(tool["id"]) is not None
    # the files table refreshes itself and shows the file's import done
    page.wait_for_selector("#files-table tr:has-text('sample.json') .badge-complete")
    row = page.locator("#files-table tr", has_text="sample.json")
    assert connectors["importer"] in row.inner_text()  # the connector that imported it
    shot(page, "data-import")

    # a type no import connector takes: said plainly, nothing queued
    page.set_input_files(
        "#f-file", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    page.click("#import-submit")
    page.wait_for_selector("#import-error")
    assert "no import connector takes text/plain" in page.locator("#import-error").inner_text()


def test_import_page_fits_a_phone_and_is_refused_to_a_reader(
    browser, server: UiInstance, reader: dict[str, str]
) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    phone = context.new_page()
    login(phone)
    phone.goto("/data/import")
    phone.wait_for_selector("#import-form")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the import page scrolls sideways on a phone ({width} px)"
    context.close()

    context = browser.new_context(viewport=PHONE, base_url=server.url)
    other = context.new_page()
    login(other, email=reader["email"], password=reader["password"])
    refused = other.goto("/data/import")
    assert refused is not None and refused.status == 403
    assert "KNOWLEDGE_UPDATE" in other.content()
    upload = other.request.post(
        "/data/import",
        headers={"Origin": server.url},
        multipart={"file": {"name": "x.json", "mimeType": "application/json", "buffer": b"{}"}},
    )
    assert upload.status == 403
    context.close()
