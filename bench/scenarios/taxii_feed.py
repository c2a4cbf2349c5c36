"""Scenario "TAXII feed": a TAXII 2.1 collection ingested from medallion, end to end.

On each back-end pair, in the same run: medallion (the OASIS reference server, memory back end,
100 objects per page, started as the tests start it: ``tests/ingest/servers.py``) serves the
corpus twice, once to a bare HTTP client that only follows the pages (``bare_s``: what medallion
alone costs), and once to a stixflow TAXII ingester (``wall_s``: from the first request to the
last object committed by K worker processes). ``overhead_x`` = ``wall_s / bare_s``: our
overhead as a ratio. One untimed bare pass first warms medallion up; then bare and ingest runs
alternate, best of ``--repeat`` each.

Corpus: ATT&CK ICS 17.1 (1,651 STIX 2.1 objects), the largest corpus medallion can serve in
reasonable time: its memory back end filters the whole collection on each first page (O(n²)),
and enterprise ATT&CK (24,771 objects) does not return one page in minutes (docs/benchmarks.md).
``--quick`` uses ICS 8.0 (683 objects).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from tests.ingest.servers import COLLECTION, TAXII, Medallion

from bench.backends import Unavailable, check_available, fresh_settings, scratch_dir, worker_env
from bench.scenarios.base import Options, Row
from bench.workers import WorkerError, WorkerPool
from stixflow.access.audit import LOCAL_ACTOR
from stixflow.errors import StixflowError
from stixflow.ingest.schemas import TaxiiCreate
from stixflow.ingest.service import IngestionService
from stixflow.pipeline.works import COMPLETE
from stixflow.runtime import Runtime, open_runtime
from stixflow.store.base import Access

NAME = "taxii-feed"
DATA_DIR = Path(
    os.environ.get(
        "STIXFLOW_BENCH_DATA", Path(__file__).resolve().parents[2].parent / "shared/data/stix"
    )
)
FULL_CORPUS = "attack-stix-data-ics-attack-17.1.json"
QUICK_CORPUS = "attack-stix-data-ics-attack-8.0.json"
PAGE_SIZE = 100
WAIT_SECONDS = 600.0

log = logging.getLogger("bench")


def run(options: Options) -> list[Row]:
    path = DATA_DIR / (QUICK_CORPUS if options.quick else FULL_CORPUS)
    objects = json.loads(path.read_bytes())["objects"]
    title = f"TAXII feed from medallion ({path.stem.removeprefix('attack-stix-data-')})"
    rows = []
    for pair in options.pairs:
        try:
            check_available(pair)
            rows.append(measure(title, pair, objects, options))
        except Unavailable as exc:
            rows.append(Row.skipped(title, pair, str(exc)))
        except (WorkerError, StixflowError, OSError, httpx.HTTPError, AssertionError) as exc:
            log.exception("%s on %s failed", NAME, pair)
            rows.append(Row(title, pair, note=f"failed: {type(exc).__name__}: {exc}", failed=True))
    return rows


def measure(title: str, pair: str, objects: list[dict[str, Any]], options: Options) -> Row:
    with tempfile.TemporaryDirectory(prefix="stixflow-bench-taxii-") as folder:
        server = Medallion(Path(folder), objects, page_size=PAGE_SIZE).start()
        try:
            bare_pages(server)  # warm-up, untimed
            bares, ours = [], []
            for _ in range(options.repeat):
                bares.append(bare_pages(server))
                ours.append(ingest_once(pair, server, options))
            bare = min(bares)
        finally:
            server.stop()
    best = min(ours, key=lambda r: r["wall_s"])
    count_ok = best["queued"] == len(objects) and best["failed"] == 0
    return Row(
        title,
        pair,
        values={
            "objects": len(objects),
            "wall_s": best["wall_s"],
            "objects_per_s": len(objects) / best["wall_s"],
            "medallion_bare_s": bare,
            "overhead_x": best["wall_s"] / bare,
            "count_check": "ok" if count_ok else "MISMATCH",
        },
        note="" if count_ok else f"queued {best['queued']}, failed {best['failed']}",
        failed=not count_ok,
        details={"page_size": PAGE_SIZE, "workers": options.workers, "runs": ours},
    )


def bare_pages(server: Medallion) -> float:
    """Seconds for a bare HTTP client to read every page (``next`` followed to the end)."""
    started = time.perf_counter()
    params: dict[str, str] = {"limit": str(PAGE_SIZE)}
    with httpx.Client(auth=("admin", "Password0"), headers={"Accept": TAXII}, timeout=600) as http:
        while True:
            envelope = http.get(server.objects_url, params=params).raise_for_status().json()
            if not envelope.get("more"):
                return time.perf_counter() - started
            params = {"limit": str(PAGE_SIZE), "next": envelope["next"]}


def ingest_once(pair: str, server: Medallion, options: Options) -> dict[str, Any]:
    with fresh_settings(pair) as settings, scratch_dir() as logs:
        runtime = open_runtime(settings, run_migrations=False)
        try:
            service = IngestionService(runtime, actor=LOCAL_ACTOR)
            spec = TaxiiCreate(
                name="bench",
                url=server.api_root,
                collection=COLLECTION,
                auth_type="basic",
                username="admin",
                password=SecretStr("Password0"),
                page_size=PAGE_SIZE,
                timeout_seconds=600,
            )
            ingester = service.create("taxii", spec)
            with WorkerPool(options.workers, env=worker_env(settings), log_dir=logs):
                started = time.perf_counter()
                outcome = service.run_now("taxii", ingester.id)
                fetched_s = time.perf_counter() - started
                failed = _wait(runtime, outcome.works)
                wall = time.perf_counter() - started
            stored = sum(runtime.store.count_by_type(access=Access.everything()).values())
        finally:
            runtime.close()
    if outcome.error:
        raise AssertionError(outcome.error)
    return {
        "wall_s": wall,
        "fetch_and_queue_s": fetched_s,
        "queued": outcome.queued,
        "failed": failed,
        "stored": stored,
    }


def _wait(runtime: Runtime, works: list[str]) -> int:
    """Wait until every work is complete; return the objects that failed."""
    deadline = time.monotonic() + WAIT_SECONDS
    failed = 0
    for work_id in works:
        while True:
            work = runtime.works.get(work_id)
            assert work is not None, f"work {work_id} disappeared"
            if work.status == COMPLETE:
                failed += work.failed
                break
            assert time.monotonic() < deadline, f"work {work_id} stalled"
            time.sleep(0.05)
    return failed
