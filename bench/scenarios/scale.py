"""Scenario "knowledge base at scale" (issue 18): a store of at least ``--scale-objects``
objects built from renamed copies of the real corpora (:mod:`bench.corpus`), imported a whole
copy (69,342 objects) at a time through the queue and ``--workers`` worker processes, each
copy submitted and timed to its work's completion (15 copies, 1,040,102 objects, for 1M); then
the reads of :mod:`bench.scale_probes` and the size.

Columns: import rate of the first and the last slice (and last/first), search p50/p95 (and the
``LIKE`` scan it replaces, p50), list, relationship and TAXII-page p50/p95, database MiB and its
ratio to the input JSON; the note compares the mean of the last three slices with the first,
which one slice's noise moves less. Targets at 1M (issue 18): search p95 ≤ 50 ms,
last/first ≥ 80 %, size ≤ 2 x input.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
import psycopg

from bench import corpus, scale_probes
from bench.backends import Unavailable, check_available, fresh_settings, scratch_dir, worker_env
from bench.scenarios.base import Options, Row
from bench.scenarios.pipeline_import import DATA_DIR
from bench.submitter import Stalled, wait_complete
from bench.workers import WorkerError, WorkerPool
from stixflow.db.space import space
from stixflow.errors import StixflowError
from stixflow.pipeline.submit import DEFAULT_SOURCE
from stixflow.runtime import Runtime, open_runtime

NAME = "scale"
#: Slices averaged for the note's steadier comparison with the first (one slice's rate varies
#: by 15 % or more within a run on a 2-core machine, so last/first alone moves by as much).
LATE_SLICES = 3
DEFAULT_OBJECTS = 100_000
QUICK_OBJECTS = 20_000
SLICES = 10  # below one copy (smoke runs); a copy a slice above
MIB = 1024 * 1024

log = logging.getLogger("bench")


def run(options: Options) -> list[Row]:
    size = options.scale_objects or (QUICK_OBJECTS if options.quick else DEFAULT_OBJECTS)
    title = f"kb at scale ({size:,} objects)"
    rows = []
    for pair in options.pairs:
        try:
            check_available(pair)
            rows.append(measure(pair, size, title, options.workers))
        except Unavailable as exc:
            rows.append(Row.skipped(title, pair, str(exc)))
        except (StixflowError, WorkerError, Stalled) as exc:
            rows.append(Row(title, pair, note=f"failed: {exc}", failed=True))
    return rows


def measure(pair: str, size: int, title: str, workers: int) -> Row:
    with fresh_settings(pair) as settings, scratch_dir() as logs:
        runtime = open_runtime(settings, run_migrations=False)
        try:
            runtime.registry.ensure(runtime.queue, DEFAULT_SOURCE)
            with WorkerPool(workers, env=worker_env(settings), log_dir=logs) as pool:
                rates, input_bytes = _build(runtime, size, pool)
            return _row(title, pair, runtime, rates, input_bytes)
        finally:
            runtime.close()


def _build(runtime: Runtime, size: int, pool: WorkerPool) -> tuple[list[float], int]:
    """Import the store slice by slice; the objects/s of each slice and the input JSON bytes."""
    rates: list[float] = []
    input_bytes = 0
    for number, part in enumerate(corpus.slices(DATA_DIR, size, SLICES)):
        input_bytes += len(orjson.dumps({"type": "bundle", "objects": part}))
        rates.append(_import(runtime, part, f"scale slice {number}", pool))
        log.info("scale: slice %d, %d objects/s", number, rates[-1])
    return rates, input_bytes


def _import(runtime: Runtime, objects: list[dict[str, Any]], name: str, pool: WorkerPool) -> float:
    started = time.perf_counter()
    submission = runtime.submitter.open(objects, name=name, source=DEFAULT_SOURCE)
    runtime.submitter.send(submission)
    current = wait_complete(runtime, submission.work.id, check=pool.check_alive)
    if current.failed:
        raise StixflowError(f"{name}: {current.failed} objects failed ({current.reason})")
    return len(objects) / (time.perf_counter() - started)


def _analyse(runtime: Runtime) -> None:
    """Before the reads, what a PostgreSQL server's autovacuum does as the tables grow (this
    machine's server runs without it): ``VACUUM ANALYZE``, which gathers the planner's
    statistics, marks dead rows' space reusable (the file does not shrink) and moves the
    trigram indexes' pending entries into the index proper, as autoanalyze does (a manual
    ``ANALYZE`` leaves them, and every search then scans them). SQLite needs none of this."""
    if runtime.db.dialect == "postgresql":
        with psycopg.connect(runtime.settings.database_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def _row(title: str, pair: str, runtime: Runtime, rates: list[float], input_bytes: int) -> Row:
    _analyse(runtime)
    by_query = scale_probes.search(runtime)
    search = scale_probes.percentiles([t for timings in by_query.values() for t in timings])
    scan = scale_probes.percentiles(scale_probes.like_scan(runtime))
    lists = scale_probes.percentiles(scale_probes.object_lists(runtime))
    rels = scale_probes.percentiles(scale_probes.relationships(runtime, scale_probes.hubs(runtime)))
    taxii = scale_probes.percentiles(scale_probes.taxii_pages(runtime))
    size = space(runtime.db).file_bytes
    counts = runtime.store.count_by_type(access=scale_probes.EVERYTHING)
    values = {
        "first_slice_per_s": rates[0],
        "last_slice_per_s": rates[-1],
        "last_vs_first": rates[-1] / rates[0],
        "search_p50_ms": search[0] * 1000,
        "search_p95_ms": search[1] * 1000,
        "like_scan_p50_ms": scan[0] * 1000,
        "list_p50_ms": lists[0] * 1000,
        "relationships_p95_ms": rels[1] * 1000,
        "taxii_page_p50_ms": taxii[0] * 1000,
        "db_mib": size / MIB,
        "db_vs_input": size / input_bytes,
    }
    details = {
        "slice_rates": rates,
        "input_mib": input_bytes / MIB,
        "list_p95_ms": lists[1] * 1000,
        "relationships_p50_ms": rels[0] * 1000,
        "taxii_page_p95_ms": taxii[1] * 1000,
        "like_scan_p95_ms": scan[1] * 1000,
        "search_ms_by_query": {q: max(t) * 1000 for q, t in by_query.items()},
        "stored_besides_markings": sum(counts.values()) - counts.get("marking-definition", 0),
    }
    return Row(title, pair, values=values, details=details, note=_late_note(rates))


def _late_note(rates: list[float]) -> str:
    """The mean of the last ``LATE_SLICES`` slices against the first, when there are more."""
    if len(rates) <= LATE_SLICES:
        return ""
    late = sum(rates[-LATE_SLICES:]) / LATE_SLICES
    return f"last {LATE_SLICES} slices' mean: {late / rates[0]:.0%} of the first"
