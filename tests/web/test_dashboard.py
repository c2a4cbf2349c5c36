"""The dashboard: counts per type, objects ingested per source over time, dead letters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from stixflow.config import load_settings
from stixflow.runtime import Runtime, open_runtime
from tests.support import bundle, malware, relationship, sdo
from tests.web.conftest import PHONE, UiInstance, login, shot


def indicator(name: str, pattern: str) -> dict[str, Any]:
    return sdo(
        "indicator",
        name,
        pattern=pattern,
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
    )


def push_from(server: UiInstance, source: str, *objects: dict[str, Any]) -> None:
    """Import objects as the source ``source`` (as a feed would) and wait for the work."""
    work = server.call("POST", "/api/bundles", params={"source": source}, json=bundle(*objects))
    deadline = time.monotonic() + 30
    while server.call("GET", f"/api/works/{work['work_id']}")["status"] != "complete":
        assert time.monotonic() < deadline, f"work from {source} did not complete"
        time.sleep(0.05)


@pytest.fixture
def platform(server: UiInstance) -> Iterator[Runtime]:
    """The server's own database and broker, opened from the test (to break a message)."""
    settings = load_settings(database_url=f"sqlite:///{server.folder}/ui.db", broker_url="embedded")
    runtime = open_runtime(settings, run_migrations=False)
    yield runtime
    runtime.close()


def test_an_empty_platform_shows_a_friendly_empty_state(page, server: UiInstance) -> None:
    login(page)
    assert "Nothing ingested yet" in page.locator("#ingest").inner_text()
    assert page.locator("#ingest svg").count() == 0
    assert page.locator("#stat-dead-letters .stat-value").inner_text() == "0"


def test_counts_per_type_chart_per_source_and_dead_letters(
    page, server: UiInstance, platform: Runtime
) -> None:
    family = [malware(name) for name in ("Emotet", "TrickBot", "Qakbot")]
    indicators = [
        indicator("Emotet C2", "[ipv4-addr:value = '203.0.113.7']"),
        indicator("TrickBot C2", "[ipv4-addr:value = '203.0.113.8']"),
    ]
    links = [
        relationship(i["id"], m["id"], "indicates")
        for i, m in zip(indicators, family[:2], strict=True)
    ]
    server.push(*family, *indicators, *links)
    tools = [sdo("tool", name) for name in ("Mimikatz", "PsExec")]
    push_from(server, "feed-b", *tools)

    queue = platform.registry.ensure(platform.queue, "broken-feed")
    platform.queue.publish(queue, b"{this is not json")
    deadline = time.monotonic() + 30
    while not platform.dead_letters.count():
        assert time.monotonic() < deadline, "the broken message was not dead-lettered"
        time.sleep(0.1)

    login(page)
    per_type = {
        row.get_attribute("data-type"): row.locator("td.num").inner_text()
        for row in page.locator("#objects-per-type tbody tr").all()
    }
    assert (per_type["malware"], per_type["indicator"]) == ("3", "2")
    assert (per_type["relationship"], per_type["tool"]) == ("2", "2")

    legend = page.locator("#ingest .legend").inner_text()
    assert "Bundle uploads (import) (7)" in legend
    assert "feed-b (2)" in legend
    bars = page.locator("#ingest-chart svg.chart-wide rect")
    assert bars.count() == 2 and bars.first.is_visible()
    title = page.locator("#ingest-chart svg.chart-wide > title").text_content()
    assert "New objects per source and hour" in title

    assert page.locator("#stat-dead-letters .stat-value").inner_text() == "1"
    letters = page.locator("#dead-letters").inner_text()
    assert "undecodable" in letters and "push_broken-feed" in letters
    shot(page, "dashboard")

    page.click("#objects-per-type a:text-is('malware')")
    page.wait_for_url("**/knowledge/objects?type=malware")
    names = page.locator("#objects-table tbody tr td.name-cell > a").all_inner_texts()
    assert sorted(names) == ["Emotet", "Qakbot", "TrickBot"]


def test_the_dead_letters_page_lists_and_retries(page, server: UiInstance) -> None:
    login(page)
    page.click("#stat-dead-letters")
    page.wait_for_url("**/dead-letters")
    row = page.locator("#dead-letters-table tbody tr").first
    assert "undecodable" in row.inner_text()
    row.locator("button:has-text('Retry')").click()
    page.wait_for_selector("#dead-letters-table tr.retried")


def test_the_dashboard_chart_fits_a_phone(browser, server: UiInstance) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    phone = context.new_page()
    login(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard scrolls sideways on a phone ({width} px)"
    assert not phone.locator("#ingest-chart svg.chart-wide").is_visible()
    chart = phone.locator("#ingest-chart svg.chart-narrow").bounding_box()
    assert chart is not None and 300 <= chart["width"] <= PHONE["width"]
    shot(phone, "dashboard-chart-phone")
    context.close()
