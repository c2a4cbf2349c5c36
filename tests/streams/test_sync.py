"""Two real stixflow instances on loopback: B follows A's live stream.

Objects created, updated and deleted on A appear, change and disappear on B; a B killed in the
middle ends, once restarted, with exactly A's state; perfect synchronisation overwrites a local
edit; without dependency resolution a malware comes without its relationships.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.streams.instances import Instance, wait_for
from tests.support import malware, relationship, sdo

pytestmark = [pytest.mark.timeout(180)]
TYPES = ("malware", "intrusion-set", "relationship")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instances")


@pytest.fixture(scope="module")
def a(folder: Path) -> Iterator[Instance]:
    instance = Instance("a", folder).start()
    yield instance
    instance.close()


@pytest.fixture
def b(folder: Path) -> Iterator[Instance]:
    instance = Instance(f"b{uuid.uuid4().hex[:6]}", folder).start()
    yield instance
    instance.close()


def stream_on(a: Instance, **filters: Any) -> str:
    body = {"name": f"stream {uuid.uuid4().hex[:6]}", "filters": filters}
    return str(a.call("POST", "/api/streams", json=body)["id"])


def follow(b: Instance, a: Instance, stream: str, **options: Any) -> dict[str, Any]:
    listed = b.call(
        "POST", "/api/ingestion/live-streams/remote-streams", json={"uri": a.url, "token": a.token}
    )
    assert stream in [s["id"] for s in listed]
    body = {
        "name": f"from a {uuid.uuid4().hex[:6]}",
        "uri": a.url,
        "token": a.token,
        "stream_id": stream,
        "running": True,
        **options,
    }
    created: dict[str, Any] = b.call("POST", "/api/ingestion/live-streams", json=body)
    assert "token" not in created
    return created


def same_state(a: Instance, b: Instance) -> bool:
    return a.objects(*TYPES) == b.objects(*TYPES)


def test_b_follows_creates_updates_deletes_and_survives_a_kill(a: Instance, b: Instance) -> None:
    actor, tools = (
        sdo("intrusion-set", f"apt {uuid.uuid4()}"),
        [malware(f"tool {uuid.uuid4()} {n}") for n in range(10)],
    )
    a.push(actor, *tools, *(relationship(actor["id"], t["id"]) for t in tools))
    sync = follow(b, a, stream_on(a), listen_deletion=True)
    wait_for(lambda: same_state(a, b), what="B to catch up with A")

    stored = a.objects("malware")
    first = next(obj for obj in stored.values() if obj["name"] == tools[0]["name"])
    a.push({**tools[0], "modified": "2025-01-01T00:00:00.000Z", "description": "changed"})
    gone = next(obj for obj in stored.values() if obj["name"] == tools[1]["name"])
    a.call("DELETE", f"/api/objects/{gone['id']}")
    wait_for(
        lambda: (b.get(first["id"]) or {}).get("description") == "changed", what="the update on B"
    )
    wait_for(lambda: b.get(gone["id"]) is None, what="the deletion on B")

    many = [malware(f"bulk {uuid.uuid4()}") for _ in range(1500)]
    a.push(*many)
    wait_for(lambda: len(b.objects("malware")) > len(stored), what="B to start the bulk")
    b.kill()
    a.push({**tools[2], "modified": "2025-02-01T00:00:00.000Z", "description": "while down"})
    third = next(obj for obj in stored.values() if obj["name"] == tools[3]["name"])
    a.call("DELETE", f"/api/objects/{third['id']}")
    b.start()

    wait_for(lambda: same_state(a, b), timeout=90, what="B to end with A's state")
    health = b.call("GET", f"/api/ingestion/live-streams/{sync['id']}")["health"]
    assert health["last_event_id"] is not None and health["events_received"] > 0


def test_perfect_sync_overwrites_a_local_edit_and_keeps_remote_ids(
    a: Instance, b: Instance
) -> None:
    name = f"perfect {uuid.uuid4()}"
    original = malware(name, labels=["remote"], modified="2024-05-01T00:00:00.000Z")
    a.push(original)
    [on_a] = [o for o in a.objects("malware").values() if o["name"] == name]
    stream = stream_on(a, types=["malware"])
    follow(b, a, stream, synchronized=True)
    wait_for(lambda: b.get(on_a["id"]) == on_a, what="the perfect copy on B")

    b.push(
        {
            **on_a,
            "modified": "2030-01-01T00:00:00.000Z",
            "labels": ["local"],
            "description": "edited on b",
        }
    )
    assert b.get(on_a["id"])["description"] == "edited on b"
    a.push({**original, "modified": "2024-06-01T00:00:00.000Z", "description": "remote v2"})
    on_a = a.get(on_a["id"])
    assert on_a is not None and on_a["description"] == "remote v2"

    wait_for(lambda: b.get(on_a["id"]) == on_a, what="A's version to overwrite B's edit")


def test_no_dependencies_imports_a_malware_without_its_relationships(
    a: Instance, b: Instance
) -> None:
    name = f"lonely {uuid.uuid4()}"
    tool, actor = malware(name), sdo("intrusion-set", f"owner {uuid.uuid4()}")
    a.push(tool, actor, relationship(actor["id"], tool["id"]))
    [on_a] = [o for o in a.objects("malware").values() if o["name"] == name]
    assert a.call("GET", f"/api/objects/{on_a['id']}/relationships")
    follow(b, a, stream_on(a, types=["malware"]), no_dependencies=True)

    wait_for(lambda: b.get(on_a["id"]) is not None, what="the malware on B")
    assert b.call("GET", f"/api/objects/{on_a['id']}/relationships") == []
    assert not b.objects("intrusion-set")


def test_reset_reads_the_stream_again_from_its_starting_date(a: Instance, b: Instance) -> None:
    tools = [malware(f"reset {uuid.uuid4()} {n}") for n in range(5)]
    a.push(*tools)
    sync = follow(b, a, stream_on(a))
    wait_for(lambda: same_state(a, b), what="B to catch up with A")
    path = f"/api/ingestion/live-streams/{sync['id']}"
    before = b.call("GET", path)["health"]["events_received"]
    lost = next(o for o in b.objects("malware").values() if o["name"] == tools[0]["name"])
    b.call("DELETE", f"/api/objects/{lost['id']}")  # a local deletion the stream will not resend

    done = b.call("POST", f"{path}/reset")
    assert done["purged"] >= 0 and done["sync"]["health"]["queue_depth"] == 0
    wait_for(
        lambda: b.get(lost["id"]) is not None, what="the stream to be read again from the start"
    )
    wait_for(
        lambda: b.call("GET", path)["health"]["events_received"] >= 2 * before,
        what="the events to be counted again",
    )
