"""The CSV feeds tab: create a feed for the real Feodo blocklist served on loopback (Verify first),
start it from the burger and watch objects arrive; duplicate it (pre-filled, verify again)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.csvmap.support import MAPPERS
from tests.ingest.servers import FeedServer, Route
from tests.web.conftest import PHONE, UiInstance, login, shot
from tests.web.test_csv_mappers import FEODO, feodo_rows, settled

FEODO_MAPPER = "Feodo Tracker C2 IPs"


@pytest.fixture(scope="module")
def feed_url(server: UiInstance) -> Iterator[str]:
    """The Feodo blocklist on loopback, and its mapper (as the API would create it)."""
    server.call("POST", "/api/csv-mappers", json=json.loads((MAPPERS / "feodo.json").read_text()))
    choice = json.loads((MAPPERS / "ipsum.json").read_text())
    choice["name"] = "IPsum (user chooses markings)"
    choice["representations"][0]["attributes"].append(
        {"key": "object_marking_refs", "default": ["user-choice"]}
    )
    server.call("POST", "/api/csv-mappers", json=choice)
    feeds = FeedServer().start()
    yield feeds.serve("/ipblocklist.csv", Route(FEODO.read_bytes(), content_type="text/csv"))
    feeds.stop()


def open_menu(page, name: str, action: str) -> None:
    row = page.locator(f"#csv-table tr[data-name='{name}']")
    row.locator("summary").click()
    row.locator(f".menu-items button:has-text('{action}')").click()


def verify(page) -> None:
    page.click("#csv-verify")
    page.wait_for_selector("#preview-table")
    settled(page)


def objects_ingested(page, name: str) -> int:
    cell = page.locator(f"#csv-table tr[data-name='{name}'] td.objects-ingested")
    return int(cell.inner_text().replace(",", "").replace("\u2013", "0"))


def test_create_verify_start_and_duplicate(page, server: UiInstance, feed_url: str) -> None:
    rows = feodo_rows()
    ips = {row["dst_ip"] for row in rows}
    login(page)
    page.goto("/data/ingestion/csv")
    page.click("button:has-text('Create CSV feed')")
    page.wait_for_selector("#csv-form")
    page.fill("#f-name", "Feodo C2")
    page.fill("#f-url", feed_url)
    page.select_option("#f-mapper", label=FEODO_MAPPER)
    settled(page)
    assert page.locator("#csv-markings select").count() == 0  # this mapper uses the user's
    assert page.is_disabled("#csv-create")

    verify(page)
    preview = page.inner_text("#preview-table")
    assert rows[0]["dst_ip"] in preview and "Pikabot" in preview
    assert page.is_enabled("#csv-create")
    shot(page, "ingestion-csv-create", full_page=False)
    page.fill("#f-name", "Feodo C2 feed")
    assert page.is_disabled("#csv-create")  # a change needs a new verify
    verify(page)
    page.click("#csv-create")
    page.wait_for_selector("#csv-table tr[data-name='Feodo C2 feed']")
    assert not page.locator("#modal").is_visible()
    row = page.locator("#csv-table tr[data-name='Feodo C2 feed']")
    assert row.locator(".badge").inner_text() == "stopped"
    assert FEODO_MAPPER in row.inner_text()

    open_menu(page, "Feodo C2 feed", "Start")
    page.wait_for_selector(
        "#csv-table tr[data-name='Feodo C2 feed'] .menu-items button:text-is('Stop')",
        state="attached",
    )
    deadline = time.monotonic() + 40
    while objects_ingested(page, "Feodo C2 feed") == 0:
        assert time.monotonic() < deadline, "the started feed imported nothing"
        page.wait_for_timeout(500)
        page.reload()
    # ip, indicator and based-on per distinct IP; one malware and an indicates per IP
    assert objects_ingested(page, "Feodo C2 feed") == 4 * len(ips) + 1
    deadline = time.monotonic() + 40
    while len(server.objects("ipv4-addr")) < len(ips):
        assert time.monotonic() < deadline, "the queued objects were not imported"
        time.sleep(0.3)
    assert {o["value"] for o in server.objects("ipv4-addr").values()} == ips
    shot(page, "ingestion-csv")

    open_menu(page, "Feodo C2 feed", "Duplicate")
    page.wait_for_selector("#csv-form")
    assert page.input_value("#f-name") == "Feodo C2 feed-copy"
    assert page.input_value("#f-url") == feed_url
    assert page.is_disabled("#csv-create")
    shot(page, "ingestion-csv-duplicate", full_page=False)
    verify(page)
    page.click("#csv-create")
    copy = page.locator("#csv-table tr[data-name='Feodo C2 feed-copy']")
    copy.wait_for()
    assert copy.locator(".badge").inner_text() == "stopped"


def test_markings_show_only_for_a_mapper_that_lets_the_user_choose(
    page, server: UiInstance, feed_url: str
) -> None:
    login(page)
    page.goto("/data/ingestion/csv")
    page.click("button:has-text('Create CSV feed')")
    page.wait_for_selector("#csv-form")
    page.select_option("#f-mapper", label="IPsum (user chooses markings)")
    page.wait_for_selector("#csv-markings select[name='markings']")
    assert "TLP:AMBER" in page.inner_text("#csv-markings")
    page.select_option("#f-mapper", label=FEODO_MAPPER)
    page.wait_for_selector("#csv-markings select", state="detached")
    page.select_option("#f-auth_type", "basic")
    page.wait_for_selector("#csv-auth input[name='password']")


def test_a_wrong_file_fails_verification_with_the_line_and_reason(
    page, server: UiInstance, feed_url: str
) -> None:
    login(page)
    page.goto("/data/ingestion/csv")
    page.click("button:has-text('Create CSV feed')")
    page.wait_for_selector("#csv-form")
    page.fill("#f-name", "Wrong")
    page.fill("#f-url", feed_url)
    page.select_option("#f-mapper", label="IPsum (user chooses markings)")
    page.click("#csv-verify")
    page.wait_for_selector("#preview .alert-error")
    problem = page.inner_text("#preview .alert-error")
    assert "mapped no row" in problem and "line " in problem
    assert page.is_disabled("#csv-create")


def test_the_tab_fits_a_phone(browser, server: UiInstance, feed_url: str) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    phone = context.new_page()
    login(phone)
    phone.goto("/data/ingestion/csv")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the tab scrolls sideways on a phone ({width} px)"
    shot(phone, "ingestion-csv-phone")
    context.close()
