"""Every page renders at 1280 px and at a phone's width without the page scrolling sideways.

Wide tables scroll inside their own box (``.table-wrap``); the page itself must not. Dialogs
(creation forms) must fit the phone's screen too.
"""

from __future__ import annotations

import pytest

from stixflow.web.templating import INGESTION_TABS, NAV
from tests.support import malware
from tests.web.conftest import DESKTOP, PHONE, UiInstance, login

LISTS = sorted({href for _, _, href in NAV} | {href for _, _, href in INGESTION_TABS})
DETAILS = ["/data/csv-mappers/new", "/dead-letters", "/data/ingestion/connectors/layout-feed"]
CREATE_BUTTONS = {
    "/data/ingestion/streams": "Create live stream",
    "/data/ingestion/taxii": "Create TAXII feed",
    "/data/ingestion/taxii-push": "Create TAXII Push ingester",
    "/data/ingestion/rss": "Create RSS feed",
    "/data/ingestion/csv": "Create CSV feed",
}


@pytest.fixture(scope="module")
def known_object(server: UiInstance) -> str:
    """An object and a registered connector, so that their pages exist."""
    server.call("POST", "/api/connectors", json={"id": "layout-feed", "name": "Layout feed"})
    sample = malware("Layoutbot")
    server.push(sample)
    found = server.call("GET", "/api/objects", params={"types": "malware", "text": "Layoutbot"})
    return str(found["objects"][0]["id"])


def overflow(page: object) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))  # type: ignore[attr-defined]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "phone"])
def test_every_page_fits_the_screen(
    browser, server: UiInstance, known_object: str, viewport: dict
) -> None:
    context = browser.new_context(viewport=viewport, base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    login(page)
    for path in [*LISTS, *DETAILS, f"/knowledge/objects/{known_object}"]:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
        assert page.locator("h1").count() >= 1, f"{path} has no heading"
        if overflow(page) > viewport["width"]:
            problems.append(f"{path} is {overflow(page)} px wide at {viewport['width']} px")
    context.close()
    assert not problems, problems


def test_creation_dialogs_fit_a_phone(browser, server: UiInstance) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page)
    problems: list[str] = []
    for path, label in CREATE_BUTTONS.items():
        page.goto(path)
        page.click(f"button:has-text('{label}')")
        dialog = page.locator("dialog#modal")
        dialog.wait_for(state="visible")
        box = dialog.bounding_box()
        assert box is not None
        if box["x"] < 0 or box["x"] + box["width"] > PHONE["width"]:
            problems.append(f"{label}: the dialog spans {box['x']}..{box['x'] + box['width']}")
        inner = page.evaluate("document.getElementById('modal').scrollWidth")
        if inner > box["width"] + 1:
            problems.append(f"{label}: its content is {inner} px wide in {box['width']} px")
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
    context.close()
    assert not problems, problems
