"""OpenCTI files in the UI: the Import button of each tab creates the ingester (or mapper) from
the fixture file and says what was not imported; the Export entry of its burger menu downloads a
file equivalent to the one imported."""

from __future__ import annotations

import json

import pytest

from tests.opencti.support import FIXTURES, comparable, fixture, inline_mapper_file
from tests.web.conftest import UiInstance, login, shot

pytestmark = pytest.mark.timeout(120)

TABS = (
    # (page, fixture or None for the inline mapper, row selector of the imported item)
    ("/data/csv-mappers", None, "#csv-mappers-table tr[data-name='Inline CSV Feed']"),
    ("/data/ingestion/csv", "csvFeed/test-csv-feed.json", "tr[data-name='Test name']"),
    ("/data/ingestion/taxii", "taxiiFeed/test-taxii-feed.json", "tr[data-name='taxiiFeedsAuto']"),
    (
        "/data/ingestion/taxii-push",
        "taxiiPush/test-taxii-push.json",
        "tr[data-name='taxiiPushAuto']",
    ),
)


def test_import_then_export_each_file(page, server: UiInstance, tmp_path) -> None:
    login(page)
    mapper = tmp_path / "mapper.json"
    mapper.write_text(json.dumps(inline_mapper_file()))
    for path, name, row_selector in TABS:
        source = mapper if name is None else FIXTURES / name
        page.goto(path)
        page.click(".toolbar button:has-text('Import')")
        page.set_input_files("#opencti-file", str(source))
        page.click("#opencti-import button:has-text('Import')")
        done = page.locator("#opencti-imported")
        done.wait_for()
        assert "imported" in done.locator("h2").inner_text()
        if name == "csvFeed/test-csv-feed.json":
            assert "uses the existing CSV mapper" in done.inner_text()
            shot(page, "ingestion-opencti-imported", full_page=False)
        done.locator("a:has-text('Close')").click()
        row = page.locator(row_selector)
        row.wait_for()
        row.locator("summary").click()
        with page.expect_download() as info:
            row.locator("a:has-text('Export')").click()
        exported = json.loads(info.value.path().read_text(encoding="utf-8"))
        original = inline_mapper_file() if name is None else fixture(name)
        assert comparable(exported) == comparable(original)


def test_a_file_of_the_wrong_type_is_refused_in_the_form(page, server: UiInstance) -> None:
    login(page)
    page.goto("/data/ingestion/taxii")
    page.click(".toolbar button:has-text('Import')")
    page.set_input_files("#opencti-file", str(FIXTURES / "taxiiPush/test-taxii-push.json"))
    page.click("#opencti-import button:has-text('Import')")
    page.wait_for_selector("#opencti-import .alert-error")
    assert "expected 'taxiiFeeds'" in page.locator("#opencti-import .alert-error").inner_text()
