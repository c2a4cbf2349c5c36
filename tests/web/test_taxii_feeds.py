"""The TAXII feeds tab against medallion on loopback: a wrong password fails verification, the
right one lists the collection's objects, and once started the objects arrive."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ingest.conftest import ICS_8, corpus
from tests.ingest.servers import COLLECTION, Medallion
from tests.web.conftest import UiInstance, login, shot

pytestmark = pytest.mark.timeout(120)

FEED_NAME = "ICS ATT&CK"


@pytest.fixture(scope="module")
def techniques(data_dir: Path) -> list[dict[str, Any]]:
    objects = corpus(data_dir, ICS_8)
    return [obj for obj in objects if obj["type"] == "attack-pattern"][:12]


@pytest.fixture(scope="module")
def medallion(
    tmp_path_factory: pytest.TempPathFactory, techniques: list[dict[str, Any]]
) -> Iterator[Medallion]:
    server = Medallion(tmp_path_factory.mktemp("medallion"), techniques, page_size=5).start()
    yield server
    server.stop()


def fill_basic_auth(page, password: str) -> None:
    page.select_option("#f-auth_type", "basic")
    page.fill("#f-username", "admin")
    page.fill("#f-password", password)


def stored_names(server: UiInstance) -> set[str]:
    found = server.call("GET", "/api/objects?types=attack-pattern&limit=1000")["objects"]
    return {obj["name"] for obj in found}


def test_verify_create_start_and_the_objects_arrive(
    page, server: UiInstance, medallion: Medallion, techniques: list[dict[str, Any]]
) -> None:
    login(page)
    page.goto("/data/ingestion/taxii")
    page.click("button:has-text('Create TAXII feed')")
    page.fill("#f-name", FEED_NAME)
    page.fill("#f-url", medallion.api_root)
    page.fill("#f-collection", COLLECTION)
    fill_basic_auth(page, "not-the-password")
    page.click("#feed-verify")
    problem = page.locator("#preview .alert-error")
    problem.wait_for()
    assert "401" in problem.inner_text() and "authentication failed" in problem.inner_text()
    assert page.locator("#feed-submit").is_disabled()

    page.fill("#f-password", "Password0")
    page.click("#feed-verify")
    preview = page.locator("#preview-table")
    preview.wait_for()
    assert techniques[0]["name"] in preview.inner_text()
    assert preview.locator("tbody tr").count() == len(techniques)
    preview.scroll_into_view_if_needed()
    shot(page, "ingestion-taxii-create", full_page=False)

    page.click("#feed-submit")
    row = page.locator(f"#taxii-table tr[data-name='{FEED_NAME}']")
    row.wait_for()
    assert "stopped" in row.inner_text() and COLLECTION in row.inner_text()
    row.locator("summary").click()
    row.locator("button:has-text('Start')").click()
    page.wait_for_selector(
        f"#taxii-table tr[data-name='{FEED_NAME}'] button:has-text('Stop')", state="attached"
    )

    expected = {obj["name"] for obj in techniques}
    deadline = time.monotonic() + 40
    while not expected <= stored_names(server):
        assert time.monotonic() < deadline, "the collection's objects never arrived"
        time.sleep(0.3)
    page.reload()
    assert row.locator(".objects-ingested").inner_text() == str(len(techniques))
    shot(page, "ingestion-taxii")

    row.locator("summary").click()
    row.locator("button:has-text('Edit')").click()
    assert page.locator("#f-password").input_value() == ""  # secrets are never sent back
    page.click("#feed-verify")  # the stored password is kept for the dry run
    page.locator("#preview-table").wait_for()
    assert page.locator("#preview-table tbody tr").count() == len(techniques)
