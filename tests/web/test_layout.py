"""Every page renders at 1280 px and at a phone's width without the page scrolling sideways.

Wide tables scroll inside their own box (``.table-wrap``); the page itself must not.
"""

from __future__ import annotations

import pytest

from stixflow.web.templating import INGESTION_TABS, NAV
from tests.web.conftest import DESKTOP, PHONE, UiInstance, login

PAGES = sorted({href for _, _, href in NAV} | {href for _, _, href in INGESTION_TABS})


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "phone"])
def test_every_page_fits_the_screen(browser, server: UiInstance, viewport: dict) -> None:
    context = browser.new_context(viewport=viewport, base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    login(page)
    for path in PAGES:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
        assert page.locator("h1").count() >= 1, f"{path} has no heading"
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            problems.append(f"{path} is {width} px wide at {viewport['width']} px")
    context.close()
    assert not problems, problems
