"""Scenarios "taxii-server" and "live-stream-latency" (sharing between platforms).

``taxii-server``: 10,000 indicators served in pages of 100 to taxii2-client (the OASIS client),
by our TAXII 2.1 server (the real app under uvicorn, SQLite) and by medallion (the OASIS
reference server, memory back end, started as the tests start it), in the same run. Medallion's
memory back end filters the whole collection for every page (O(n²)); it gets a time budget
(``MEDALLION_BUDGET_S``), and when it does not finish within it the row reports the rate of what
it served, or, when not even one page came back, an upper bound (one page / budget) and so a
lower bound of the ratio (``>``).

``live-stream-latency``: two ``stixflow serve`` processes on loopback (SQLite, default settings,
one worker each); B follows a live stream of A. One object at a time is imported on A; the
latency is the time between A's write of it and B's, both read from each side's event log
(``stream_events.created_at``, stamped by the worker that writes, same machine clock). Median and
p99 over ``LATENCY_SAMPLES`` objects (``--quick``: fewer).
"""

from __future__ import annotations

import logging
import sqlite3
import statistics
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from taxii2client.v21 import Collection, as_pages
from tests.ingest.servers import COLLECTION, USERS, Medallion
from tests.streams.instances import Instance, wait_for
from tests.taxii.conftest import LiveServer
from tests.taxii.support import Bearer, write

from bench.backends import fresh_settings, scratch_dir
from bench.scenarios.base import Options, Row
from stixflow.access.bootstrap import ensure_admin
from stixflow.runtime import open_runtime
from stixflow.taxii.collections import DefinitionCreate, collections
from stixflow.taxii.filters import ObjectFilter

NAME = "taxii-server"
LATENCY_NAME = "live-stream-latency"
OBJECTS = 10_000
PAGE = 100
MEDALLION_BUDGET_S = 120.0
TAXII_TARGET = 5.0
LATENCY_SAMPLES = 50
LATENCY_TARGET_S = 1.0
PAIR = "sqlite-embedded"

log = logging.getLogger("bench")


def indicators(count: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.UUID(int=n + 1)}",
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z",
            "name": f"ioc {n}",
            "pattern": f"[ipv4-addr:value = '10.{n // 65536}.{n // 256 % 256}.{n % 256}']",
            "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        }
        for n in range(count)
    ]


def page_through(collection: Collection, *, stop: threading.Event | None = None) -> list[int]:
    """Objects per page, fetched with ``as_pages`` until the end (or ``stop``)."""
    pages: list[int] = []
    for envelope in as_pages(collection.get_objects, per_request=PAGE, type="indicator"):
        pages.append(len(envelope.get("objects", [])))
        if stop is not None and stop.is_set():
            break
    return pages


# -- TAXII server ----------------------------------------------------------------------------


def run(options: Options) -> list[Row]:
    objects = indicators(OBJECTS)
    budget = MEDALLION_BUDGET_S / 4 if options.quick else MEDALLION_BUDGET_S
    title = f"TAXII server, {OBJECTS:,} objects, pages of {PAGE}"
    ours_s = serve_ours(objects)
    served, medallion_s = serve_medallion(objects, budget)
    ours_rate = OBJECTS / ours_s
    values: dict[str, Any] = {
        "objects": OBJECTS,
        "wall_s": ours_s,
        "objects_per_s": ours_rate,
        "medallion_objects": served,
        "medallion_s": medallion_s,
    }
    if served:
        medallion_rate = served / medallion_s
        ratio = ours_rate / medallion_rate
        values.update(medallion_objects_per_s=medallion_rate, ours_x_medallion=f"{ratio:,.1f}x")
    else:
        bound = PAGE / medallion_s
        ratio = ours_rate / bound
        values.update(medallion_objects_per_s=f"< {bound:.2f}", ours_x_medallion=f"> {ratio:,.0f}x")
    values["target"] = f">= {TAXII_TARGET:.0f}x"
    values["ok"] = ratio >= TAXII_TARGET
    note = "" if served == OBJECTS else f"medallion: {served:,} objects in its {budget:.0f}s budget"
    return [Row(title, PAIR, values, note=note)]


def serve_ours(objects: list[dict[str, Any]]) -> float:
    with fresh_settings(PAIR) as settings:
        runtime = open_runtime(settings)
        try:
            write(runtime, objects)
            token = ensure_admin(runtime.db, settings).token
            spec = DefinitionCreate(name="bench", filters=ObjectFilter(types=["indicator"]))
            collection_id = collections(runtime.db).create(spec, created_by=None).id
            with LiveServer(runtime) as server:
                url = f"{server.url}/taxii2/root/collections/{collection_id}/"
                collection = Collection(url, auth=Bearer(token or ""))
                started = time.perf_counter()
                pages = page_through(collection)
                elapsed = time.perf_counter() - started
        finally:
            runtime.close()
        if sum(pages) != len(objects):
            raise RuntimeError(f"our server served {sum(pages)} of {len(objects)} objects")
        return elapsed


def serve_medallion(objects: list[dict[str, Any]], budget: float) -> tuple[int, float]:
    """(objects served, seconds) by medallion within ``budget`` seconds."""
    with scratch_dir() as folder:
        medallion = Medallion(folder, objects, page_size=PAGE).start()
        pages: list[int] = []
        stop = threading.Event()
        try:
            url = f"{medallion.api_root}collections/{COLLECTION}/"
            collection = Collection(url, user="admin", password=USERS["admin"])

            def fetch() -> None:
                try:
                    for envelope in as_pages(collection.get_objects, per_request=PAGE):
                        pages.append(len(envelope.get("objects", [])))
                        if stop.is_set():
                            return
                except requests.RequestException:
                    if not stop.is_set():
                        raise

            started = time.perf_counter()
            thread = threading.Thread(target=fetch, daemon=True)
            thread.start()
            thread.join(budget)
            stop.set()
            elapsed = time.perf_counter() - started
        finally:
            medallion.stop()
        return sum(pages), elapsed


# -- live-stream latency ---------------------------------------------------------------------


def run_latency(options: Options) -> list[Row]:
    samples = 10 if options.quick else LATENCY_SAMPLES
    with scratch_dir() as folder:
        a, b = Instance("a", folder).start(), Instance("b", folder).start()
        try:
            latencies = measure_latency(a, b, samples)
        finally:
            a.close()
            b.close()
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    values = {
        "samples": len(ordered),
        "median_s": median,
        "p99_s": p99,
        "target": f"median < {LATENCY_TARGET_S:.0f}s",
        "ok": median < LATENCY_TARGET_S,
    }
    return [Row("live-stream latency, commit on A to commit on B", PAIR, values)]


def measure_latency(a: Instance, b: Instance, samples: int) -> list[float]:
    stream = a.call("POST", "/api/streams", json={"name": "bench"})["id"]
    b.call(
        "POST",
        "/api/ingestion/live-streams",
        json={
            "name": "from a",
            "uri": a.url,
            "token": a.token,
            "stream_id": stream,
            "running": True,
        },
    )
    warm_up = f"warm-up {uuid.uuid4()}"
    a.push(_malware(warm_up))
    wait_for(lambda: all_arrived(b, [warm_up]), timeout=60, what="B to follow A")
    names = [f"latency {uuid.uuid4()}" for _ in range(samples)]
    for name in names:
        a.push(_malware(name))
        time.sleep(0.2)
    wait_for(lambda: all_arrived(b, names), timeout=60, what="every object on B")
    on_a, on_b = written_at(a), written_at(b)
    return [on_b[name] - on_a[name] for name in names]


def _malware(name: str) -> dict[str, Any]:
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": f"malware--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": name,
        "is_family": True,
    }


def all_arrived(b: Instance, names: list[str]) -> bool:
    return set(names) <= set(written_at(b))


def written_at(instance: Instance) -> dict[str, float]:
    """Object name → when its first create was written, from the instance's event log."""
    path = Path(instance.folder) / f"{instance.name}.db"
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT object_id, MIN(created_at) FROM stream_events WHERE kind = 'create' "
            "AND object_type = 'malware' GROUP BY object_id"
        ).fetchall()
    stamps = {object_id: _epoch(stamp) for object_id, stamp in rows}
    names = {obj["id"]: obj["name"] for obj in instance.objects("malware").values()}
    return {names[i]: at for i, at in stamps.items() if i in names}


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
