"""The durable event log that live streams read, on every back-end pair."""

from __future__ import annotations

import threading
import zlib

import orjson
import pytest

from stixflow.clock import now
from stixflow.runtime import Runtime, open_runtime
from stixflow.store import compact, events
from stixflow.store.base import Provenance
from tests.conftest import Pair
from tests.support import malware


def write(runtime: Runtime, objects, source="feed") -> None:
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, objects, provenance=Provenance(now(), "u1", source))


def test_create_update_unchanged_delete_are_logged_in_order(runtime: Runtime) -> None:
    obj = malware("Raccoon", description="v1", modified="2024-01-01T00:00:00.000Z")
    write(runtime, [obj])
    newer = {**obj, "description": "v2", "modified": "2024-02-01T00:00:00.000Z"}
    write(runtime, [newer])
    write(runtime, [newer])  # unchanged: no event
    assert runtime.store.delete(obj["id"])
    log = events.read_after(runtime.db, 0)
    assert [e.kind for e in log] == ["create", "update", "delete"]
    assert [e.seq for e in log] == sorted(e.seq for e in log)
    assert log[0].data["description"] == "v1" and log[0].source == "feed"
    assert log[1].data["description"] == "v2"
    assert {"op": "replace", "path": "/description", "value": "v2"} in log[1].patch
    assert log[2].data["id"] == obj["id"]
    assert events.read_after(runtime.db, log[1].seq) == [log[2]]
    assert events.last_seq(runtime.db) == log[2].seq


def test_concurrent_writers_leave_no_gap_behind_a_reader(pair: Pair, runtime: Runtime) -> None:
    """Sequence numbers are visible in commit order: polling never skips a later commit."""
    seen: list[int] = []
    stop = threading.Event()

    def writer(index: int) -> None:
        own = open_runtime(pair.settings)
        try:
            for i in range(15):
                write(own, [malware(f"w{index}-{i}")])
        finally:
            own.close()

    def reader() -> None:
        cursor = 0
        while not stop.is_set() or cursor < events.last_seq(runtime.db):
            batch = events.read_after(runtime.db, cursor)
            seen.extend(e.seq for e in batch)
            cursor = batch[-1].seq if batch else cursor

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    polling = threading.Thread(target=reader)
    polling.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    polling.join(timeout=30)
    assert len(seen) == len(set(seen)) == 45


def test_the_latest_version_is_kept_once_in_its_row_earlier_ones_in_the_log(
    runtime: Runtime,
) -> None:
    small = malware("Small", description="x")
    large = malware("Large", description="a fairly repetitive description " * 200)
    write(runtime, [small, large])
    logged = _payloads(runtime)
    assert logged == {small["id"]: [b""], large["id"]: [b""]}  # both versions are in their rows
    with runtime.db.read() as tx:
        stored = {key: bytes(value) for key, value in tx.fetchall("SELECT id, data FROM objects")}
    assert orjson.dumps(large) not in stored[large["id"]]
    assert len(stored[large["id"]]) < len(orjson.dumps(large)) // 4

    newer = {**small, "description": "y", "modified": "2031-01-01T00:00:00.000Z"}
    write(runtime, [newer])
    logged = _payloads(runtime)
    assert compact.load(logged[small["id"]][0]) == small  # the create got its version, whole
    assert logged[small["id"]][1] == b""
    assert runtime.store.delete(large["id"])
    assert all(logged for logged in _payloads(runtime)[large["id"]])
    log = events.read_after(runtime.db, 0)
    assert [(e.kind, e.data) for e in log] == [
        ("create", small),
        ("create", large),
        ("update", newer),
        ("delete", large),
    ]
    assert log[2].patch == [
        {"op": "replace", "path": "/description", "value": "y"},
        {"op": "replace", "path": "/modified", "value": "2031-01-01T00:00:00.000Z"},
    ]


def _payloads(runtime: Runtime) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    with runtime.db.read() as tx:
        for object_id, data in tx.fetchall(
            "SELECT object_id, data FROM stream_events ORDER BY seq"
        ):
            found.setdefault(object_id, []).append(bytes(data))
    return found


@pytest.mark.parametrize("level", [0, 1])
def test_events_written_before_still_read(runtime: Runtime, level: int) -> None:
    """Payloads of earlier versions (plain zlib: stored under 2 KiB, else level 1) decode."""
    old = malware("Old", description="written by an earlier version")
    with runtime.db.transaction() as tx:
        tx.execute(
            "INSERT INTO stream_events (kind, object_id, object_type, data, patch, source, "
            "user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "create",
                old["id"],
                "malware",
                zlib.compress(orjson.dumps(old), level),
                None,
                "feed",
                None,
                now(),
            ),
        )
    write(runtime, [malware("New")])
    log = events.read_after(runtime.db, 0)
    assert [e.data["name"] for e in log] == ["Old", "New"]
    assert log[0].data == old
