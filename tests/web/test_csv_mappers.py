"""The CSV mapper builder: build a mapper for the real Feodo Tracker blocklist, test it on the
uploaded file, see what a bad file does, save it; save-time checks show beside their block."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import DATA
from tests.web.conftest import UiInstance, login, shot

FEODO = DATA / "csv" / "feodo_ipblocklist_2024-03-26_23-30-15.csv"


def feodo_rows(path: Path = FEODO) -> list[dict[str, str]]:
    """The data rows as the csv module reads them once comment lines are dropped."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def settled(page) -> None:
    """Wait until htmx has swapped and wired up the new content."""
    page.wait_for_function(f"!document.querySelector({HTMX_BUSY!r})")


def choose_target(page, index: int, target: str, column_field: str) -> None:
    """Pick a representation's type and wait for its attribute rows to come back."""
    page.select_option(f"#r{index}-target", target)
    page.wait_for_selector(f"[name='r{index}.a.{column_field}']")
    settled(page)


def add_representation(page, index: int) -> None:
    page.click("button:has-text('Add representation')")
    page.wait_for_selector(f"#r{index}-target")
    settled(page)


def build_feodo_mapper(page, name: str) -> None:
    """IPv4 from dst_ip, malware from malware, an indicator based on the IP, indicates."""
    page.goto("/data/csv-mappers")
    page.click("text=Create CSV mapper")
    page.wait_for_selector("#csv-mapper-form")
    page.fill("#f-name", name)
    assert page.is_checked("input[name='has_header']")
    choose_target(page, 0, "ipv4-addr", "value.column")
    page.fill("[name='r0.a.value.column']", "dst_ip")
    add_representation(page, 1)
    choose_target(page, 1, "malware", "name.column")
    page.fill("[name='r1.a.name.column']", "malware")
    page.fill("[name='r1.a.malware_types.default']", "bot")
    add_representation(page, 2)
    choose_target(page, 2, "indicator", "valid_from.column")
    page.select_option("[name='r2.a.based-on.based_on']", "rep1")
    page.fill("[name='r2.a.valid_from.column']", "first_seen_utc")
    page.fill("[name='r2.a.valid_from.date_format']", "%Y-%m-%d %H:%M:%S")
    page.select_option("#r2-markings", "user-default")
    add_representation(page, 3)
    choose_target(page, 3, "indicates", "from.based_on")
    page.select_option("[name='r3.a.from.based_on']", "rep3")
    page.select_option("[name='r3.a.to.based_on']", "rep2")
    # values typed before a re-render survive it
    assert page.input_value("[name='r0.a.value.column']") == "dst_ip"


def run_test_on_file(page, path: Path) -> None:
    page.set_input_files("#f-sample", str(path))
    page.click("button:has-text('Test on a file')")
    page.wait_for_selector(f"#test-summary:has-text('{path.name}')")


def count_of(page, stix_type: str) -> int:
    return int(page.inner_text(f"#test-counts tr[data-type='{stix_type}'] td.num").replace(",", ""))


def test_build_test_and_save_a_feodo_mapper(page, server: UiInstance, tmp_path: Path) -> None:
    rows = feodo_rows()
    login(page)
    build_feodo_mapper(page, "Feodo C2 (UI)")

    run_test_on_file(page, FEODO)
    ips = {row["dst_ip"] for row in rows}
    families = {row["malware"] for row in rows}
    assert count_of(page, "ipv4-addr") == len(ips)
    assert count_of(page, "malware") == len(families)
    assert count_of(page, "indicator") == len(ips)
    assert f"{len(rows)} data rows read" in page.inner_text("#test-summary")
    preview = page.inner_text("#preview-table")
    assert rows[0]["dst_ip"] in preview
    assert f"{rows[0]['dst_ip']} → Pikabot" in preview  # the indicates relationship, named
    assert page.locator(".row-errors").count() == 0
    shot(page, "csv-mapper-builder")

    bad = rows[2]["dst_ip"]
    text = FEODO.read_text(encoding="utf-8").replace(f'"{bad}"', '"300.1.2.x"', 1)
    bad_line = next(n for n, line in enumerate(text.splitlines(), 1) if "300.1.2.x" in line)
    broken = tmp_path / "feodo-broken.csv"
    broken.write_text(text, encoding="utf-8")
    run_test_on_file(page, broken)
    problem = page.inner_text(".row-errors")
    assert f"line {bad_line}, column dst_ip" in problem
    assert "'300.1.2.x' is not an IPv4 address" in problem
    assert "1 rows could not be mapped" in page.inner_text("#test-summary")

    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    run_test_on_file(page, binary)
    assert "0 entities" in page.inner_text("#test-summary")
    assert "line " in page.inner_text(".row-errors")

    page.click("button:has-text('Save')")
    page.wait_for_url("**/data/csv-mappers")
    saved = page.locator("tr[data-name='Feodo C2 (UI)']")
    assert saved.locator(".num-reps").inner_text() == "4"
    stored = {m["name"]: m for m in server.call("GET", "/api/csv-mappers")}["Feodo C2 (UI)"]
    assert [r["target"] for r in stored["spec"]["representations"]] == [
        "ipv4-addr",
        "malware",
        "indicator",
        "indicates",
    ]
    shot(page, "csv-mappers")


def test_save_shows_the_checks_beside_each_representation(page, server: UiInstance) -> None:
    login(page)
    page.goto("/data/csv-mappers/new")
    page.fill("#f-name", "x")
    choose_target(page, 0, "ipv4-addr", "value.column")
    add_representation(page, 1)
    choose_target(page, 1, "indicates", "from.based_on")
    page.select_option("[name='r1.a.from.based_on']", "rep1")
    page.click("button:has-text('Save')")
    page.wait_for_selector(".rep-problems")
    assert "at least 2 characters" in page.inner_text(".field.has-error")
    problems = page.locator(".rep-problems")
    assert "mandatory attribute value is not mapped" in problems.nth(0).inner_text()
    assert "mandatory attribute to is not mapped" in problems.nth(1).inner_text()
    assert "/data/csv-mappers/new" in page.url
    assert server.call("GET", "/api/csv-mappers") == [] or all(
        m["name"] != "x" for m in server.call("GET", "/api/csv-mappers")
    )


def test_edit_duplicate_and_delete_from_the_burger(page, server: UiInstance) -> None:
    spec = {
        "name": "IPsum (API)",
        "representations": [
            {
                "id": "ip",
                "target": "ipv4-addr",
                "attributes": [{"key": "value", "column": {"letter": "A"}}],
            }
        ],
    }
    server.call("POST", "/api/csv-mappers", json=spec)
    login(page)
    page.goto("/data/csv-mappers")
    row = page.locator("tr[data-name='IPsum (API)']")
    row.locator("summary").click()
    row.locator("button:has-text('Duplicate')").click()
    page.wait_for_selector("#csv-mapper-form")
    assert page.input_value("#f-name") == "IPsum (API)-copy"
    assert page.input_value("[name='r0.a.value.column']") == "A"
    page.click("button:has-text('Save')")
    page.wait_for_url("**/data/csv-mappers")
    copy = page.locator("tr[data-name='IPsum (API)-copy']")
    copy.locator("summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    copy.locator("button:has-text('Delete')").click()
    copy.wait_for(state="detached")
    assert "IPsum (API)-copy" not in {m["name"] for m in server.call("GET", "/api/csv-mappers")}
