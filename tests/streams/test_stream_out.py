"""Live streams out: SSE in commit order, resume without gap or duplicate, markings, snapshot."""

from __future__ import annotations

import time
from typing import Any

import pytest

from stixflow.access.capabilities import Capability
from stixflow.clock import now
from stixflow.runtime import Runtime
from stixflow.store.base import Provenance
from stixflow.taxii.collections import DefinitionCreate, live_streams
from stixflow.taxii.filters import ObjectFilter
from tests.streams.conftest import collect, data_events
from tests.support import TLP_AMBER, TLP_GREEN, malware, relationship, sdo
from tests.taxii.conftest import LiveServer
from tests.taxii.support import write

pytestmark = pytest.mark.timeout(60)

OCTI_EXTENSION = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"


def new_stream(runtime: Runtime, **spec: Any) -> str:
    definition = DefinitionCreate(name=f"s{time.monotonic_ns()}", **spec)
    return live_streams(runtime.db).create(definition, created_by=None).id


def count(n: int) -> Any:
    return lambda events: len(data_events(events)) >= n


def test_events_in_order_then_resume_without_gap(
    runtime: Runtime, live: LiveServer, admin_token: str
) -> None:
    stream = new_stream(runtime, filters=ObjectFilter(types=["malware"]))
    m = malware("emotet")
    write(runtime, [m])
    write(runtime, [{**m, "modified": "2024-06-01T00:00:00.000Z", "description": "new"}])
    write(runtime, [malware("other")])
    runtime.store.delete(m["id"], provenance=Provenance(seen_at=now(), source="test"))
    url = f"{live.url}/stream/{stream}"

    events = data_events(collect(url, admin_token, params={"from": "0"}, until=count(4)))

    assert [e["event"] for e in events] == ["create", "update", "create", "delete"]
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert events[1]["data"]["data"]["description"] == "new"
    assert {"op": "add", "path": "/description", "value": "new"} in events[1]["data"]["patch"]

    resumed = collect(url, admin_token, headers={"Last-Event-ID": str(ids[1])}, until=count(2))
    assert [int(e["id"]) for e in data_events(resumed)] == ids[2:]

    write(runtime, [malware("late")])
    tail = collect(url, admin_token, params={"from": str(ids[-1])}, until=count(1))
    assert [e["data"]["data"]["name"] for e in data_events(tail)] == ["late"]


def test_a_deletion_carries_the_date_its_object_was_first_seen(
    runtime: Runtime, live: LiveServer, admin_token: str
) -> None:
    # OpenCTI readers file objects by their extension's created_at (backup-files names a folder
    # after it): the delete event must carry the creation's date, not the deletion's
    stream = new_stream(runtime, filters=ObjectFilter(types=["malware"]))
    m = malware("short-lived")
    created = write(runtime, [m])
    runtime.store.delete(
        m["id"], provenance=Provenance(seen_at="2031-01-01T00:00:00.000Z", source="test")
    )

    events = data_events(
        collect(f"{live.url}/stream/{stream}", admin_token, params={"from": "0"}, until=count(2))
    )

    assert [e["event"] for e in events] == ["create", "delete"]
    extensions = [e["data"]["data"]["extensions"][OCTI_EXTENSION] for e in events]
    assert [x["created_at"] for x in extensions] == [created, created]
    assert extensions[1]["updated_at"] == "2031-01-01T00:00:00.000Z"


def test_heartbeat_carries_the_last_position(
    runtime: Runtime, live: LiveServer, admin_token: str
) -> None:
    stream = new_stream(runtime, filters=ObjectFilter(types=["campaign"]))
    write(runtime, [malware("filtered out")])
    beats = collect(
        f"{live.url}/stream/{stream}",
        admin_token,
        params={"from": "0"},
        until=lambda events: any(e["event"] == "heartbeat" for e in events),
    )
    assert beats[0]["event"] == "connected"
    beat = next(e for e in beats if e["event"] == "heartbeat")
    assert int(beat["id"]) >= 1


def test_from_a_date_replays_the_state_then_tails(
    runtime: Runtime, live: LiveServer, admin_token: str
) -> None:
    stream = new_stream(runtime, filters=ObjectFilter(types=["malware"]))
    kept, gone = malware("kept"), malware("gone")
    write(runtime, [kept, gone])
    write(runtime, [{**kept, "modified": "2024-03-01T00:00:00.000Z", "description": "v2"}])
    runtime.store.delete(gone["id"])
    time.sleep(0.01)
    moment = now()
    time.sleep(0.01)
    write(runtime, [malware("after")])

    events = data_events(
        collect(f"{live.url}/stream/{stream}", admin_token, params={"from": moment}, until=count(2))
    )

    assert [(e["event"], e["data"]["data"]["name"], e["id"]) for e in events] == [
        ("create", "kept", None),
        ("create", "after", events[1]["id"]),
    ]
    assert events[0]["data"]["data"]["description"] == "v2"


def test_green_reader_gets_no_amber_from_a_stream(
    runtime: Runtime, live: LiveServer, make_user: Any
) -> None:
    stream = new_stream(runtime)
    _, token = make_user(Capability.TAXIIAPI, allowed=[TLP_GREEN])
    green = malware("green", object_marking_refs=[TLP_GREEN])
    amber = malware("amber", object_marking_refs=[TLP_AMBER])
    target = sdo("intrusion-set", "apt")
    write(runtime, [green, amber, target])
    write(runtime, [relationship(target["id"], amber["id"])])
    write(
        runtime,
        [{**green, "modified": "2024-09-01T00:00:00.000Z", "object_marking_refs": [TLP_AMBER]}],
    )
    write(runtime, [malware("last")])

    events = data_events(
        collect(
            f"{live.url}/stream/{stream}",
            token,
            params={"from": "0"},
            until=lambda found: any(
                e["data"].get("data", {}).get("name") == "last" for e in data_events(found)
            ),
        )
    )

    for event in events:
        assert TLP_AMBER not in event["data"]["data"].get("object_marking_refs", [])
        assert event["data"]["data"]["type"] != "relationship"
    names = [
        (e["event"], e["data"]["data"].get("name"))
        for e in events
        if e["data"]["data"]["type"] == "malware"
    ]
    assert names == [("create", "green"), ("delete", "green"), ("create", "last")]


def test_dependencies_come_before_the_object_unless_asked_not_to(
    runtime: Runtime, live: LiveServer, admin_token: str
) -> None:
    stream = new_stream(runtime, filters=ObjectFilter(types=["malware"]))
    tool, actor = malware("tool"), sdo("intrusion-set", "owner")
    uses = relationship(actor["id"], tool["id"])
    write(runtime, [actor, uses])
    write(runtime, [tool])
    url = f"{live.url}/stream/{stream}"

    ours = {"from": "0", "format": "stixflow"}
    events = data_events(collect(url, admin_token, params=ours, until=count(3)))
    assert [(e["data"]["data"]["type"], e["id"] is None) for e in events] == [
        ("intrusion-set", True),
        ("relationship", True),
        ("malware", False),
    ]
    assert events[0]["data"]["origin"] == {"referer": "dependencies"}
    # OpenCTI's envelope (the default): pycti only handles events with an id, so dependencies
    # carry the position just before their object's event (resuming there sends them again)
    octi = data_events(collect(url, admin_token, params={"from": "0"}, until=count(3)))
    position = int(octi[2]["id"])
    assert [(e["data"]["data"]["type"], int(e["id"])) for e in octi] == [
        ("intrusion-set", position - 1),
        ("relationship", position - 1),
        ("malware", position),
    ]
    assert octi[0]["data"]["origin"] == {"referer": "dependencies"}

    alone = data_events(
        collect(url, admin_token, params={"from": "0", "no-dependencies": "true"}, until=count(1))
    )
    assert [e["data"]["data"]["type"] for e in alone] == ["malware"]


def test_recover_sends_the_compacted_log_with_ids_in_opencti_shape(
    runtime: Runtime, live: LiveServer, admin_token: str
) -> None:
    stream = new_stream(runtime, filters=ObjectFilter(types=["malware"]))
    kept, gone, later = malware("kept"), malware("gone"), malware("later")
    write(runtime, [kept, gone])
    write(runtime, [{**kept, "modified": "2024-03-01T00:00:00.000Z", "description": "v2"}])
    runtime.store.delete(gone["id"])
    time.sleep(0.01)
    moment = now()
    time.sleep(0.01)
    write(runtime, [later])
    url = f"{live.url}/stream/{stream}"
    headers = {"Last-Event-ID": "0-0", "listen-delete": "true", "no-dependencies": "true"}

    events = data_events(
        collect(url, admin_token, params={"recover": moment}, headers=headers, until=count(2))
    )

    # one create per object alive at the recovery date (its latest version), then live
    assert [(e["event"], e["data"]["data"]["name"]) for e in events] == [
        ("create", "kept"),
        ("create", "later"),
    ]
    first = events[0]["data"]
    assert first["data"]["description"] == "v2" and first["origin"] == {"referer": "init"}
    assert first["version"] == "4" and first["message"] == "creates a Malware `kept`"
    extension = first["data"]["extensions"][
        "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
    ]
    assert extension["type"] == "Malware" and extension["created_at"]
    # resuming from the recovered event with the same recovery date: no repeat, no gap; a
    # deletion after that position is passed on (a reader that far may have held the object)
    again = data_events(
        collect(
            url,
            admin_token,
            params={"recover": moment},
            headers={**headers, "Last-Event-ID": events[0]["id"]},
            until=count(2),
        )
    )
    assert [(e["event"], e["data"]["data"]["name"]) for e in again] == [
        ("delete", "gone"),
        ("create", "later"),
    ]
