"""Poison pills: one hostile object, feed item or document fails alone, alike on both back ends.

Bundles go through ``POST /api/bundles`` as a user who may only import (KNOWLEDGE_UPDATE, and
KNOWLEDGE to follow the work), and a real worker applies them; a hundred good objects travel
with each poison, and must all land.
"""

from __future__ import annotations

import base64
import html
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.ingest.manager import IngestionManager
from stixflow.pipeline.works import COMPLETE, Work
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.validate import MAX_PATTERN_DEPTH, default_validator
from stixflow.store.base import Access, ObjectQuery
from stixflow.worker.loop import Worker
from tests.api import conftest as api_fixtures
from tests.ingest.servers import FeedServer, Route
from tests.support import bundle, drain, malware, relationship, sdo

GOOD = 100
admin_token, client, user_token = (
    api_fixtures.admin_token,
    api_fixtures.client,
    api_fixtures.user_token,
)


def good_objects() -> list[dict[str, Any]]:
    return [malware(f"good {index}") for index in range(GOOD)]


def indicator(pattern: str, **props: Any) -> dict[str, Any]:
    return sdo(
        "indicator",
        "poison",
        pattern=pattern,
        pattern_type="stix",
        valid_from=props.pop("valid_from", "2024-01-01T00:00:00Z"),
        **props,
    )


@pytest.fixture
def importer(user_token: Callable[..., str]) -> dict[str, str]:
    token = user_token(Capability.KNOWLEDGE_UPDATE, Capability.KNOWLEDGE)
    return {"Authorization": f"Bearer {token}"}


def push(client: TestClient, headers: dict[str, str], *objects: dict[str, Any]) -> str:
    body = json.dumps(bundle(*objects))  # not orjson: it cannot write 300 levels of nesting
    answer = client.post("/api/bundles", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["work_id"])


def imported(runtime: Runtime, client: TestClient, headers: dict[str, str], *objects: Any) -> Work:
    """Push, let a real worker apply everything, check nothing was dead-lettered."""
    work = drain(runtime, push(client, headers, *objects))
    assert runtime.dead_letters.count() == 0, runtime.dead_letters.list()
    followed = client.get(f"/api/works/{work.id}", headers=headers)
    assert followed.status_code == 200 and followed.json()["status"] == COMPLETE
    return work


def reasons(work: Work) -> dict[str | None, str]:
    return {error.object_id: error.reason for error in work.errors}


def stored(runtime: Runtime, object_id: str) -> dict[str, Any] | None:
    found = runtime.store.get(object_id, access=Access.everything())
    return None if found is None else found.data


def count_malware(runtime: Runtime) -> int:
    return runtime.store.count_by_type(access=Access.everything()).get("malware", 0)


# -- patterns -------------------------------------------------------------------------------------


def test_patterns_the_parser_cannot_survive_fail_alone(
    runtime: Runtime, client: TestClient, importer: dict[str, str]
) -> None:
    nested = indicator("(" * 3000 + "[file:name = 'a']" + ")" * 3000)
    chained = indicator("[" + " OR ".join(["file:name = 'a'"] * 2000) + "]")
    empty = indicator("")
    work = imported(runtime, client, importer, *good_objects(), nested, chained, empty)

    assert (work.processed, work.failed, work.expected) == (GOOD, 3, GOOD + 3)
    why = reasons(work)
    assert "nested 3001 levels deep" in why[nested["id"]]
    assert "too complex to parse" in why[chained["id"]]
    assert "pattern parser failed" in why[empty["id"]]
    assert count_malware(runtime) == GOOD


def test_the_pattern_bound_counts_only_real_nesting() -> None:
    validator = default_validator()
    at_bound = "(" * MAX_PATTERN_DEPTH + "[file:name = 'a']" + ")" * MAX_PATTERN_DEPTH
    assert validator.check(indicator(at_bound)) is not None  # the brackets make one more level
    inside = "(" * (MAX_PATTERN_DEPTH - 1) + "[file:name = 'a']" + ")" * (MAX_PATTERN_DEPTH - 1)
    assert validator.check(indicator(inside)) is None
    quoted = "[file:name = '" + "((([[[\\'" * 500 + "']"
    assert validator.check(indicator(quoted)) is None  # brackets in a literal do not nest


# -- NUL characters and what PostgreSQL refuses ---------------------------------------------------


def test_nul_characters_are_removed_alike_on_both_back_ends(
    runtime: Runtime, client: TestClient, importer: dict[str, str]
) -> None:
    reference = {"source_name": "vendor", "description": "see\x00 there"}
    zeus = malware("Zeus\x00Panda", description="\x00banker", external_references=[reference])
    work = imported(runtime, client, importer, *good_objects(), zeus)

    assert (work.processed, work.failed) == (GOOD + 1, 0)
    kept = stored(runtime, zeus["id"])
    assert kept is not None
    assert kept["name"] == "ZeusPanda" and kept["description"] == "banker"
    assert kept["external_references"][0]["description"] == "see there"
    note = reasons(work)[zeus["id"]]
    assert note.startswith("repaired: removed NUL characters from")
    assert "'name'" in note and "'external_references[0].description'" in note
    found = runtime.store.query(ObjectQuery(text="zeuspanda"), access=Access.everything())
    assert [obj["id"] for obj in found.objects] == [kept["id"]]
    again = imported(runtime, client, importer, malware("ZeusPanda", description="banker"))
    assert again.errors == [] and count_malware(runtime) == GOOD + 1  # the same malware


def test_a_reference_postgresql_could_not_index_is_refused_on_both(
    runtime: Runtime, client: TestClient, importer: dict[str, str]
) -> None:
    # a valid-looking identifier whose type (random, so that it does not compress) is far over
    # STIX's 250 characters: PostgreSQL's index on source_ref refused the row, SQLite stored it
    long_type = "x-" + "".join(uuid.uuid4().hex for _ in range(100))
    targets = good_objects()
    odd = relationship(f"{long_type}--{uuid.uuid4()}", targets[0]["id"])
    work = imported(runtime, client, importer, *targets, odd)

    assert (work.processed, work.failed) == (GOOD, 1)
    assert "its type is longer than 250 characters" in reasons(work)[odd["id"]]
    assert stored(runtime, odd["id"]) is None


def test_text_with_nul_is_refused_alike_outside_stix(
    runtime: Runtime, client: TestClient, user_token: Callable[..., str]
) -> None:
    token = user_token(Capability.SETTINGS, Capability.TAXIIAPI, Capability.KNOWLEDGE)
    settings = {"Authorization": f"Bearer {token}"}
    spec = {"name": "shared", "description": "a\x00b"}
    created = client.post("/api/taxii/collections", json=spec, headers=settings)
    assert created.status_code == 400, created.text  # SQLite stored it, PostgreSQL answered 500
    assert created.json()["error"].endswith(": text cannot hold NUL characters (U+0000)")
    assert client.get("/api/taxii/collections", headers=settings).json() == []
    looked_up = client.get("/api/works", params={"source": "a\x00"}, headers=settings)
    assert looked_up.status_code == 400, looked_up.text
    assert "NUL" in looked_up.json()["error"]
    fine = client.post(
        "/api/taxii/collections", json={**spec, "description": "ab"}, headers=settings
    )
    assert fine.status_code == 201, fine.text


# -- writes that fail -----------------------------------------------------------------------------


def unwritable() -> dict[str, Any]:
    """A custom object the schema accepts whose row cannot be built: a numeric description."""
    return sdo("x-poison", "numbers", description=5)


def test_an_object_that_cannot_be_written_fails_alone(
    runtime: Runtime, client: TestClient, importer: dict[str, str]
) -> None:
    bad = unwritable()
    work = imported(runtime, client, importer, *good_objects(), bad)

    assert (work.processed, work.failed) == (GOOD, 1)
    assert reasons(work)[bad["id"]].startswith("could not be written: TypeError")
    assert stored(runtime, bad["id"]) is None
    assert count_malware(runtime) == GOOD


def test_a_redelivered_message_is_applied_once_when_written_one_by_one(
    runtime: Runtime, client: TestClient, importer: dict[str, str]
) -> None:
    work_id = push(client, importer, *good_objects()[:10], unwritable())
    queue = runtime.registry.names()[0]
    worker = Worker(runtime, name="test")
    delivery = runtime.queue.receive([queue], timeout=5)
    assert delivery is not None
    runtime.queue.publish(queue, delivery.body)  # the same chunk again, as after a lost ack
    worker.handle(delivery)
    drain(runtime, work_id)
    while worker.run_once(timeout=0.5):
        pass

    work = runtime.works.get(work_id)
    assert work is not None and work.status == COMPLETE
    assert (work.processed, work.failed, work.expected) == (10, 1, 11)
    assert [e.reason.split(":")[0] for e in work.errors] == ["could not be written"]
    assert ImportMessage.decode(delivery.body).seq == 0 and runtime.dead_letters.count() == 0


# -- objects nested too deep, documents too deep, text that is not Unicode ------------------------


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def test_an_object_nested_too_deep_fails_alone(
    runtime: Runtime, client: TestClient, importer: dict[str, str]
) -> None:
    deep = malware("deep", x_deep=nested(300))  # orjson reads 1,024 levels, writes 254
    deep["id"] = "malware--\x00" + deep["id"].removeprefix("malware--")  # and a NUL in its id
    work = imported(runtime, client, importer, *good_objects(), deep)

    assert (work.processed, work.failed) == (GOOD, 1)
    (error,) = work.errors
    assert error.object_id == deep["id"].replace("\x00", "\\0")
    assert error.reason == "nested deeper than 100 levels of JSON objects and arrays"


def test_a_pycti_push_with_an_object_too_deep_to_normalise_fails_that_object_alone(
    runtime: Runtime,
) -> None:
    queue = runtime.registry.ensure(runtime.queue, "pycti-connector")
    sco = {"type": "file", "spec_version": "2.1", "id": f"file--{uuid.uuid4()}", "name": "a"}
    deep = malware("deep", x_deep=nested(900))  # the SCO's new id makes references rewritten
    content = json.dumps(bundle(*good_objects(), sco, deep)).encode()
    envelope = {"bundle_type": "QUEUE_BUNDLE", "work_id": None, "applicant_id": None}
    body = orjson.dumps({**envelope, "content": base64.b64encode(content).decode()})
    runtime.queue.publish(queue, body)
    worker = Worker(runtime, name="test")
    while not runtime.works.list(source="pycti-connector"):
        assert worker.run_once(timeout=5), "the worker received nothing"

    (work,) = runtime.works.list(source="pycti-connector")
    work = drain(runtime, work)
    assert (work.processed, work.failed, work.expected) == (GOOD + 1, 1, GOOD + 2)
    assert reasons(work)[deep["id"]] == "nested deeper than 100 levels of JSON objects and arrays"
    assert runtime.dead_letters.count() == 0


def test_documents_json_cannot_hold_are_refused_whole_alike(
    runtime: Runtime, client: TestClient, importer: dict[str, str]
) -> None:
    deep = b'{"type": "bundle", "objects": [' + b"[" * 2000 + b"]" * 2000 + b"]}"
    surrogate = orjson.dumps(bundle(malware("lone"))).replace(b"lone", b"\\ud800")
    for body, problem in ((deep, "recursion depth exceeded"), (surrogate, "surrogate")):
        answer = client.post("/api/bundles", content=body, headers=importer)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"].startswith("not valid JSON") and problem in answer.text
    assert runtime.works.list() == []


def test_a_caller_who_may_not_import_queues_nothing(
    runtime: Runtime, client: TestClient, user_token: Callable[..., str]
) -> None:
    reader = {"Authorization": f"Bearer {user_token(Capability.KNOWLEDGE)}"}
    body = orjson.dumps(bundle(*good_objects(), indicator("(" * 3000)))
    answer = client.post("/api/bundles", content=body, headers=reader)
    assert answer.status_code == 403
    assert answer.json()["capability"] == Capability.KNOWLEDGE_UPDATE
    assert runtime.works.list() == [] and runtime.registry.names() == []


# -- feed items -----------------------------------------------------------------------------------


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def feed_with_a_deep_item(depth: int) -> bytes:
    deep = "<div>" * depth + "<b>the text</b> survives" + "</div>" * depth
    items = [
        ("Alpha", "<p>About <b>Alpha</b></p>", "Mon, 01 Jan 2024 10:00:00 GMT"),
        ("Deep", deep, "Tue, 02 Jan 2024 10:00:00 GMT"),
        ("Gamma", "<p>About <i>Gamma</i></p>", "Wed, 03 Jan 2024 10:00:00 GMT"),
    ]
    body = "".join(
        f"<item><title>{title}</title><link>https://vendor.example/{title}</link>"
        f"<guid>https://vendor.example/{title}</guid><description>{html.escape(text)}"
        f"</description><pubDate>{date}</pubDate></item>"
        for title, text, date in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Vendor blog</title>'
        f"<link>https://vendor.example/</link>{body}</channel></rss>"
    ).encode()


def test_a_feed_item_with_100k_nested_tags_breaks_neither_verify_nor_runs(
    runtime: Runtime, client: TestClient, user_token: Callable[..., str], feeds: FeedServer
) -> None:
    url = feeds.serve("/deep.xml", Route(feed_with_a_deep_item(100_000)))
    manager = {"Authorization": f"Bearer {user_token(Capability.INGESTION)}"}
    spec = {"name": "deep blog", "url": url, "scheduling_period": "auto"}

    verified = client.post("/api/ingestion/rss/test", json=spec, headers=manager)
    assert verified.status_code == 200, verified.text
    previewed = {o["name"]: o for o in verified.json()["objects"] if o["type"] == "report"}
    assert sorted(previewed) == ["Alpha", "Deep", "Gamma"]
    assert previewed["Deep"]["description"] == "the text survives"
    assert previewed["Alpha"]["description"] == "About **Alpha**"

    created = client.post("/api/ingestion/rss", json={**spec, "running": True}, headers=manager)
    assert created.status_code == 201, created.text
    ingester = created.json()
    scheduler = IngestionManager(runtime)
    try:
        assert scheduler.tick() == [ingester["id"]]
        assert scheduler.wait_idle(120)
    finally:
        scheduler.stop()
    outcome = scheduler.outcomes[ingester["id"]]
    assert outcome.error is None and len(outcome.works) == 1
    drain(runtime, outcome.works[0])
    query = ObjectQuery(types=("report",), source=ingester["source"])
    found = runtime.store.query(query, access=Access.everything()).objects
    assert sorted(report["name"] for report in found) == ["Alpha", "Deep", "Gamma"]
    health = client.get(f"/api/ingestion/rss/{ingester['id']}", headers=manager).json()["health"]
    assert health["status"] == "ok" and health["last_error"] is None, health
