"""OpenCTI's stream protocol as our synchroniser reads it: OpenCTI's own stream-event objects
(the stream-events fixture) decoded from its envelope, what a connection asks for, and the
``streamCollections`` query an OpenCTI synchroniser sends to validate us."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from stixflow.access.capabilities import Capability
from stixflow.clock import now
from stixflow.errors import SourceError
from stixflow.stix.octi import OCTI_EXTENSION
from stixflow.streams.sync import opencti
from stixflow.streams.sync.remote import STREAMS_QUERY
from stixflow.taxii.collections import DefinitionCreate, live_streams
from stixflow.taxii.filters import ObjectFilter
from tests.conftest import DATA
from tests.streams.conftest import collect, data_events
from tests.support import malware
from tests.taxii.support import write

EVENTS = DATA / "opencti-fixtures/stream-events/stream-event-stix2-indicators.json"


def envelope(kind: str, obj: dict[str, Any], **extra: Any) -> str:
    body = {"version": "4", "type": kind, "scope": "external", "message": "m", "origin": {}}
    return json.dumps({**body, "data": obj, **extra})


def test_opencti_events_decode_without_the_remote_platforms_bookkeeping() -> None:
    indicators = json.loads(EVENTS.read_text())
    for n, obj in enumerate(indicators):
        event = opencti.decode("update", envelope("update", obj), f"17000-{n}", source="r")
        assert event is not None and event.id == f"17000-{n}" and event.data is not None
        own = event.data["extensions"][OCTI_EXTENSION]
        remote = obj["extensions"][OCTI_EXTENSION]
        assert own["score"] == remote["score"] and own["stix_ids"] == remote["stix_ids"]
        assert not {"id", "type", "created_at", "updated_at", "creator_ids"} & set(own)
        assert {k: v for k, v in event.data.items() if k != "extensions"} == {
            k: v for k, v in obj.items() if k != "extensions"
        }


def test_merges_heartbeats_and_other_versions() -> None:
    target, merged = json.loads(EVENTS.read_text())
    event = opencti.decode(
        "merge", envelope("merge", target, context={"sources": [merged]}), "5-0", source="r"
    )
    assert event is not None and event.merged == [merged["id"]]
    beat = opencti.decode("heartbeat", "2026-01-01T00:00:00.000Z", "9-3", source="r")
    assert beat is not None and (beat.kind, beat.id, beat.data) == ("heartbeat", "9-3", None)
    assert opencti.decode("connected", "{}", None, source="r") is None
    with pytest.raises(SourceError, match="version 3"):
        opencti.decode("create", json.dumps({"version": "3", "data": target}), "1", source="r")
    with pytest.raises(SourceError, match="without a STIX object"):
        opencti.decode("create", envelope("create", {"type": "malware"}), "1", source="r")


def test_a_connection_asks_what_opencti_s_synchroniser_asks() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    first, headers = opencti.start_params(
        position=None,
        starting_date=None,
        listen_deletion=True,
        no_dependencies=False,
        moment=moment,
    )
    assert first == {
        "from": "0-0",
        "recover": "2026-01-02T03:04:05.678Z",
        "listen-delete": "true",
        "no-dependencies": "false",
    }
    assert headers == {}
    dated, _ = opencti.start_params(
        position=None,
        starting_date="2026-01-01T00:00:00.000Z",
        listen_deletion=False,
        no_dependencies=True,
        moment=moment,
    )
    assert dated["from"] == f"{int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)}-0"
    resumed, headers = opencti.start_params(
        position="1234",
        starting_date="2026-01-01T00:00:00.000Z",
        listen_deletion=False,
        no_dependencies=True,
    )
    assert resumed["from"] == "1234" and "recover" not in resumed
    assert headers == {"Last-Event-ID": "1234"}


def test_we_answer_the_stream_list_query_of_an_opencti_synchroniser(
    live: Any, runtime: Any, make_user: Callable[..., tuple[str, str]]
) -> None:
    spec = DefinitionCreate(name="partners", filters=ObjectFilter(types=["indicator"]))
    stream = live_streams(runtime.db).create(spec, created_by=None)
    _, reader = make_user(Capability.TAXIIAPI)
    answer = httpx.post(
        f"{live.url}/graphql",
        json={"query": STREAMS_QUERY},
        headers={"Authorization": f"Bearer {reader}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    nodes = [e["node"] for e in answer.json()["data"]["streamCollections"]["edges"]]
    assert [(n["id"], n["name"]) for n in nodes] == [(stream.id, "partners")]
    assert json.loads(nodes[0]["filters"])["types"] == ["indicator"]
    _, stranger = make_user(Capability.KNOWLEDGE)
    refused = httpx.post(
        f"{live.url}/graphql",
        json={"query": STREAMS_QUERY},
        headers={"Authorization": f"Bearer {stranger}"},
        timeout=30,
    )
    assert refused.json()["data"]["streamCollections"] is None
    assert refused.json()["errors"][0]["name"] == "AccessDenied"
    anonymous = httpx.post(f"{live.url}/graphql", json={"query": STREAMS_QUERY}, timeout=30)
    assert anonymous.status_code == 401


def test_a_date_in_from_with_recover_is_a_position_as_opencti_reads_it(
    runtime: Any, live: Any, admin_token: str
) -> None:
    """OpenCTI's synchroniser resumes with ``from=<its saved date>&recover=<date>``: the changes
    since the saved date, compacted, then live; nothing older (no snapshot)."""
    spec = DefinitionCreate(name="dated", filters=ObjectFilter(types=["malware"]))
    stream = live_streams(runtime.db).create(spec, created_by=None).id
    old, changed, later = malware("old"), malware("changed"), malware("later")
    write(runtime, [old, changed])
    time.sleep(0.01)
    saved = now()
    time.sleep(0.01)
    write(runtime, [{**changed, "modified": "2024-03-01T00:00:00.000Z", "description": "v2"}])
    time.sleep(0.01)
    recover = now()
    time.sleep(0.01)
    write(runtime, [later])
    events = data_events(
        collect(
            f"{live.url}/stream/{stream}",
            admin_token,
            params={"from": saved, "recover": recover},
            until=lambda found: len(data_events(found)) >= 2,
        )
    )
    assert [(e["event"], e["data"]["data"]["name"]) for e in events] == [
        ("create", "changed"),
        ("create", "later"),
    ]
    assert events[0]["data"]["data"]["description"] == "v2" and events[0]["id"]
