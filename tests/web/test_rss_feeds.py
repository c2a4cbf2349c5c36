"""The RSS feeds tab: verify a real vendor feed served on loopback, create it, start it from the
burger menu, and see its reports arrive; a broken URL fails verification and keeps Create off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest.servers import FeedServer, Route
from tests.web.conftest import PHONE, UiInstance, login, shot

pytestmark = pytest.mark.timeout(120)

FEED_NAME = "Citrix bulletins"
CITRIX_TITLE = "ShareFile StorageZones Controller Security Update for CVE-2023-24489"


@pytest.fixture(scope="module")
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def open_create_form(page) -> None:
    page.goto("/data/ingestion/rss")
    page.click("button:has-text('Create RSS feed')")
    page.wait_for_selector("#rss-form")


def ingested(page, name: str) -> int:
    cell = page.locator(f"#rss-table tr[data-name='{name}'] .objects-ingested")
    return int(cell.inner_text().replace(",", "").replace("\u2013", "0"))


def wait_for_ingested(page, name: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        page.reload()
        count = ingested(page, name)
        if count > 0:
            return count
        page.wait_for_timeout(500)
    raise AssertionError(f"{name}: nothing ingested in time")


def report_names(server: UiInstance) -> set[str]:
    found = server.call("GET", "/api/objects?types=report")["objects"]
    return {obj["name"] for obj in found}


def test_verify_create_start_and_the_reports_arrive(
    page, server: UiInstance, feeds: FeedServer, data_dir: Path
) -> None:
    url = feeds.serve("/citrix.xml", Route((data_dir / "rss/rss-citrix.xml").read_bytes()))
    login(page)
    open_create_form(page)
    page.fill("#f-name", FEED_NAME)
    page.fill("#f-url", url)
    page.select_option("#f-report_types", ["threat-report", "vulnerability"])
    page.select_option("#f-markings", label="TLP:GREEN (TLP 2.0)")
    assert page.locator("#feed-submit").is_disabled()

    page.click("#feed-verify")
    preview = page.locator("#preview-table")
    preview.wait_for()
    assert CITRIX_TITLE in preview.inner_text() and "report" in preview.inner_text()
    assert page.locator("#feed-submit").is_enabled()
    preview.scroll_into_view_if_needed()
    shot(page, "ingestion-rss-create", full_page=False)

    page.click("#feed-submit")
    row = page.locator(f"#rss-table tr[data-name='{FEED_NAME}']")
    row.wait_for()
    assert not page.locator("#modal").is_visible()
    assert "stopped" in row.inner_text()
    row.locator("summary").click()
    row.locator("button:has-text('Start')").click()
    page.wait_for_selector(
        f"#rss-table tr[data-name='{FEED_NAME}'] button:has-text('Stop')", state="attached"
    )

    deadline = time.monotonic() + 40
    assert wait_for_ingested(page, FEED_NAME, deadline) >= 1
    while CITRIX_TITLE not in report_names(server):
        assert time.monotonic() < deadline, "the report never arrived"
        time.sleep(0.3)
    page.reload()
    shot(page, "ingestion-rss")

    row.locator("summary").click()
    row.locator("button:has-text('Edit')").click()
    assert page.locator("#f-url").input_value() == url
    assert page.locator("#f-markings option:checked").inner_text() == "TLP:GREEN (TLP 2.0)"
    page.fill("#f-description", "Citrix security bulletins")
    page.click("#feed-submit")
    page.wait_for_selector(f"#flash :text('RSS feed {FEED_NAME} saved.')")
    edited = server.call("GET", "/api/ingestion/rss/" + FEED_NAME.replace(" ", "%20"))
    assert edited["description"] == "Citrix security bulletins"
    assert edited["settings"]["report_types"] == ["threat-report", "vulnerability"]

    page.click("button:has-text('Create RSS feed')")
    page.fill("#f-name", FEED_NAME)
    page.fill("#f-url", url)
    page.click("#feed-verify")
    page.locator("#preview-table").wait_for()
    page.fill("#f-description", "changed after verify")
    assert page.locator("#feed-submit").is_disabled()  # a change asks for a new verify
    page.click("#feed-verify")
    page.wait_for_selector("#feed-submit:enabled")
    page.click("#feed-submit")
    refused = page.locator("#rss-form .alert-error")
    refused.wait_for()
    assert "already exists" in refused.inner_text()


def test_a_feed_that_answers_404_or_is_not_a_feed_fails_verification(
    page, server: UiInstance, feeds: FeedServer
) -> None:
    feeds.serve(
        "/blog.html", Route(b"<html><body><p>Hello</p></body></html>", content_type="text/html")
    )
    login(page)
    open_create_form(page)
    page.fill("#f-name", "Missing feed")
    page.fill("#f-url", feeds.url("/missing.xml"))
    page.click("#feed-verify")
    problem = page.locator("#preview .alert-error")
    problem.wait_for()
    assert "404" in problem.inner_text() and "/missing.xml" in problem.inner_text()
    assert page.locator("#feed-submit").is_disabled()

    page.fill("#f-url", feeds.url("/blog.html"))
    page.click("#feed-verify")
    page.wait_for_selector("#preview .alert-error:has-text('feed')")
    assert "RSS or Atom" in problem.inner_text() or "ill-formed" in problem.inner_text()
    assert page.locator("#feed-submit").is_disabled()


def test_the_rss_tab_fits_a_phone_screen(browser, server: UiInstance) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    phone = context.new_page()
    login(phone)
    phone.goto("/data/ingestion/rss")
    phone.wait_for_selector("#rss-table")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width} px)"
    shot(phone, "ingestion-rss-phone")
    context.close()
