"""The knowledge pages: search and filter the object list, read an object's page, and never see
what one's markings do not allow."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stixflow.stix.ids import standard_id
from tests.support import TLP_AMBER, TLP_GREEN, malware, relationship, sdo
from tests.web.conftest import PHONE, UiInstance, login, shot

GREEN_EMAIL = "green.reader@example.org"
GREEN_PASSWORD = "green reader password 42"


def canonical(obj: dict[str, Any]) -> dict[str, Any]:
    """The object under the id the platform gives it (name-based where STIX defines one)."""
    return {**obj, "id": standard_id(obj) or obj["id"]}


@pytest.fixture(scope="module")
def knowledge(server: UiInstance) -> dict[str, dict[str, Any]]:
    author = canonical(
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": f"identity--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z",
            "name": "ACME Threat Intel",
            "identity_class": "organization",
        }
    )
    green = canonical(
        malware(
            "Greenbot",
            description="A banking trojan seen in spring campaigns.",
            created_by_ref=author["id"],
            object_marking_refs=[TLP_GREEN],
            external_references=[
                {"source_name": "vendor-report", "url": "https://example.org/greenbot"}
            ],
        )
    )
    plain = canonical(malware("Plainbot", description="A loader."))
    amber = canonical(sdo("tool", "Amberkit", object_marking_refs=[TLP_AMBER]))
    uses = relationship(green["id"], plain["id"], "uses")
    server.push(author, green, plain, amber, uses)
    return {"author": author, "green": green, "plain": plain, "amber": amber, "uses": uses}


def visible_names(page) -> list[str]:
    return sorted(page.locator("#objects-table tbody td.name-cell > a").all_inner_texts())


def wait_for_names(page, expected: list[str]) -> None:
    page.wait_for_function(
        """expected => JSON.stringify([...document.querySelectorAll(
             '#objects-table tbody td.name-cell > a')].map(td => td.innerText).sort())
           === JSON.stringify(expected)""",
        arg=sorted(expected),
    )


def test_search_by_text_narrows_the_list_and_keeps_the_query_in_the_url(
    page, knowledge: dict[str, dict[str, Any]]
) -> None:
    login(page)
    page.click("nav.sidebar a:has-text('Knowledge')")
    page.wait_for_url("**/knowledge/objects")
    assert {"Greenbot", "Plainbot", "Amberkit", "ACME Threat Intel"} <= set(visible_names(page))
    shot(page, "objects-list")
    page.fill("#q", "greenb")
    wait_for_names(page, ["Greenbot"])
    assert "text=greenb" in page.url
    row = page.locator("#objects-table tbody tr").first
    assert "ACME Threat Intel" in row.inner_text() and "TLP:GREEN" in row.inner_text()
    page.reload()
    assert visible_names(page) == ["Greenbot"]
    assert page.input_value("#q") == "greenb"


def test_the_type_filter_lists_only_that_type(page, knowledge: dict[str, dict[str, Any]]) -> None:
    login(page)
    page.goto("/knowledge/objects")
    page.select_option("#f-type", "malware")
    wait_for_names(page, ["Greenbot", "Plainbot"])
    assert "type=malware" in page.url
    page.select_option("#f-type", "tool")
    wait_for_names(page, ["Amberkit"])


def test_an_object_page_shows_attributes_provenance_and_relationships(
    page, knowledge: dict[str, dict[str, Any]]
) -> None:
    login(page)
    page.goto("/knowledge/objects?text=greenbot")
    page.click("#objects-table a:text-is('Greenbot')")
    page.wait_for_url(f"**/knowledge/objects/{knowledge['green']['id']}")
    assert page.locator("h1").inner_text().startswith("Greenbot")
    attributes = page.locator("#attributes")
    assert "A banking trojan seen in spring campaigns." in attributes.inner_text()
    link = attributes.locator("a:has-text('vendor-report')")
    assert link.get_attribute("href") == "https://example.org/greenbot"
    assert page.locator("#author").inner_text() == "ACME Threat Intel"
    assert page.locator("#markings").inner_text().strip() == "TLP:GREEN"
    assert "Bundle uploads (import)" in page.locator("#sources").inner_text()
    relation = page.locator("#relationships-table tbody tr").first
    assert "uses" in relation.inner_text() and "Plainbot" in relation.inner_text()
    assert not page.locator(".raw-json").evaluate("el => el.open")
    shot(page, "object-page")

    relation.locator("a:text-is('Plainbot')").click()
    page.wait_for_url(f"**/knowledge/objects/{knowledge['plain']['id']}")
    assert page.locator("h1").inner_text().startswith("Plainbot")
    back = page.locator("#relationships-table tbody tr").first.inner_text()
    assert "in" in back and "Greenbot" in back

    page.goto(f"/knowledge/objects/{knowledge['green']['id']}")
    page.click("#author a")
    page.wait_for_url(f"**/knowledge/objects/{knowledge['author']['id']}")
    assert page.locator("h1").inner_text().startswith("ACME Threat Intel")


def test_an_unknown_object_is_a_404_page(page, knowledge: dict[str, dict[str, Any]]) -> None:
    login(page)
    answer = page.goto("/knowledge/objects/malware--00000000-0000-4000-8000-000000000000")
    assert answer is not None and answer.status == 404
    assert "Not found" in page.locator(".alert-error").inner_text()


def test_a_green_reader_never_sees_amber(
    page, server: UiInstance, knowledge: dict[str, dict[str, Any]]
) -> None:
    group = server.call(
        "POST",
        "/api/groups",
        json={
            "name": "Green readers",
            "capabilities": ["KNOWLEDGE"],
            "allowed_markings": ["TLP:GREEN"],
        },
    )
    server.call(
        "POST",
        "/api/users",
        json={
            "email": GREEN_EMAIL,
            "name": "Green Reader",
            "password": GREEN_PASSWORD,
            "groups": [group["id"]],
        },
    )
    login(page, email=GREEN_EMAIL, password=GREEN_PASSWORD)
    page.goto("/knowledge/objects")
    names = visible_names(page)
    assert "Greenbot" in names and "Plainbot" in names
    assert "Amberkit" not in names
    page.fill("#q", "amberkit")
    wait_for_names(page, [])
    assert "No object matches" in page.locator("#objects-table").inner_text()
    answer = page.goto(f"/knowledge/objects/{knowledge['amber']['id']}")
    assert answer is not None and answer.status == 404
    assert "Not found" in page.locator(".alert-error").inner_text()
    page.goto("/")
    assert page.locator("#objects-per-type tr[data-type='tool']").count() == 0


def test_the_list_fits_a_phone(browser, server: UiInstance, knowledge) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    phone = context.new_page()
    login(phone)
    phone.goto("/knowledge/objects")
    assert "Greenbot" in visible_names(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the list scrolls sideways on a phone ({width} px)"
    assert not phone.locator("#objects-table th:has-text('Sources')").is_visible()
    shot(phone, "objects-list-phone")
    context.close()


def test_load_more_pages_through_a_long_list(page, server: UiInstance, knowledge) -> None:
    server.push(*(sdo("tool", f"Pagetool {number:02d}") for number in range(55)))
    login(page)
    page.goto("/knowledge/objects?text=pagetool")
    assert len(visible_names(page)) == 50
    page.click("#load-more a:has-text('Load more')")
    page.wait_for_function(
        "document.querySelectorAll('#objects-table tbody td.name-cell > a').length === 55"
    )
    assert visible_names(page) == sorted(f"Pagetool {number:02d}" for number in range(55))
    assert page.locator("#load-more").count() == 0
