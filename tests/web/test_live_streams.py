"""The Live streams tab: follow a second real stixflow through the two-step creation dialog.

The remote is another ``stixflow serve`` with a live stream of malware; the dialog refuses an
unreachable URL and a wrong token with a clear message, lists the remote's stream for the right
token, and the started synchroniser brings the remote's malware here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.streams.instances import Instance, wait_for
from tests.support import malware
from tests.web.conftest import UiInstance, login, shot

pytestmark = [pytest.mark.timeout(120)]
SAMPLES = 4


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    instance = Instance("remote", tmp_path_factory.mktemp("remote")).start()
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def shared(remote: Instance) -> dict[str, object]:
    """A live stream of malware on the remote, with ``SAMPLES`` malware in it."""
    names = [f"shared {uuid.uuid4().hex[:8]} {index}" for index in range(SAMPLES)]
    remote.push(*(malware(name) for name in names))
    body = {"name": "Shared malware", "filters": {"types": ["malware"]}}
    stream = remote.call("POST", "/api/streams", json=body)
    return {"id": stream["id"], "name": stream["name"], "malware": names}


def local_malware_names(server: UiInstance) -> set[str]:
    page = server.call("GET", "/api/objects", params={"type": "malware", "limit": 1000})
    return {obj["name"] for obj in page["objects"]}


def test_create_and_start_a_live_stream_from_another_platform(
    page, server: UiInstance, remote: Instance, shared: dict
) -> None:
    login(page)
    page.goto("/data/ingestion/streams")
    page.click("button:has-text('Create live stream')")
    form = page.locator("#streams-form")
    form.wait_for()

    form.locator("#f-uri").fill("http://127.0.0.1:9")
    form.locator("#f-token").fill(remote.token)
    page.click("#validate-remote")
    expect(page.locator("#remote-error")).to_contain_text("cannot reach http://127.0.0.1:9")

    form.locator("#f-uri").fill(remote.url)
    form.locator("#f-token").fill("sfx_not-the-right-token")
    page.click("#validate-remote")
    expect(page.locator("#remote-error")).to_contain_text("refused the token: 401")
    assert page.locator("#create-stream").count() == 0

    form.locator("#f-token").fill(remote.token)
    page.click("#validate-remote")
    stream = form.locator("#f-stream_id")
    expect(stream).to_contain_text(str(shared["name"]))
    stream.select_option(label=str(shared["name"]))
    form.locator("#f-name").fill("From the remote")
    assert form.locator("input[type=checkbox][name=listen_deletion]").is_checked()
    shot(page, "ingestion-streams-create", full_page=False)
    page.click("#create-stream")

    row = page.locator("#streams-table tr[data-name='From the remote']")
    expect(row).to_be_visible()
    expect(page.locator("#modal")).not_to_be_visible()
    expect(row.locator(".badge")).to_have_text("stopped")
    row.locator("summary").click()
    row.locator("button", has_text="Start").click()
    expect(row.locator(".badge")).not_to_have_text("stopped")

    wanted = set(shared["malware"])  # type: ignore[arg-type]
    wait_for(lambda: wanted <= local_malware_names(server), what="the remote's malware here")
    expect(row.locator(".objects-ingested")).to_have_text(str(SAMPLES), timeout=20_000)
    expect(row.locator(".badge")).to_have_text("connected")
    shot(page, "ingestion-streams")


def test_stop_edit_reset_and_delete_from_the_burger_menu(
    page, server: UiInstance, remote: Instance, shared: dict
) -> None:
    body = {
        "name": "Second follower",
        "uri": remote.url,
        "token": remote.token,
        "stream_id": shared["id"],
        "running": True,
    }
    server.call("POST", "/api/ingestion/live-streams", json=body)
    login(page)
    page.goto("/data/ingestion/streams")
    row = page.locator("#streams-table tr[data-name='Second follower']")
    row.locator("summary").click()
    row.locator("button", has_text="Stop").click()
    expect(row.locator(".badge")).to_have_text("stopped")

    row.locator("summary").click()
    row.locator("button", has_text="Edit").click()
    edit = page.locator("#streams-edit-form")
    edit.locator("#f-name").fill("Renamed follower")
    edit.locator("input[type=checkbox][name=synchronized]").check()
    edit.locator("button:has-text('Save')").click()
    renamed = page.locator("#streams-table tr[data-name='Renamed follower']")
    expect(renamed).to_be_visible()
    listed = server.call("GET", "/api/ingestion/live-streams")
    assert [s["synchronized"] for s in listed if s["name"] == "Renamed follower"] == [True]

    page.once("dialog", lambda dialog: dialog.accept())
    renamed.locator("summary").click()
    renamed.locator("button", has_text="Reset").click()
    flash = page.locator("#flash")
    expect(flash).to_contain_text(re.compile(r"Renamed follower reset: \d+ queued messages purged"))
    listed = server.call("GET", "/api/ingestion/live-streams")
    positions = [s["health"]["last_event_id"] for s in listed if s["name"] == "Renamed follower"]
    assert positions == [None]

    page.once("dialog", lambda dialog: dialog.accept())
    renamed.locator("summary").click()
    renamed.locator("button", has_text="Delete").click()
    expect(renamed).to_have_count(0)
    assert "Renamed follower" not in {
        s["name"] for s in server.call("GET", "/api/ingestion/live-streams")
    }
