"""Scenario "connector drain": how fast workers empty a queue of pycti's one-object messages.

On each back-end pair, in a fresh instance: the queue messages of the MITRE files (enterprise,
mobile, ICS 17.1, CAPEC; ``--quick``: mobile only) are made by pycti itself in its own venv
(``bench/pycti_messages.py``: its splitter and its envelope, byte for byte what a connector
publishes), counted on a work as pycti would (expectations, then ``toProcessed``), and put on
the connector's push queue. Then K worker processes are started; **the clock starts** once
every worker said it is consuming and **stops** when the work is complete (polled every 50 ms).
In the same run and on the same pair, the bulk path (``pipeline import``: one submit of the
enterprise bundle, 500-object messages) is measured again as the reference: the ratio is
drain objects/s over bulk objects/s (the issue's target: at least 50%).
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

from bench.backends import Unavailable, check_available, fresh_settings, scratch_dir, worker_env
from bench.importing import Stalled, SubmitError, import_once, wait_for_work
from bench.scenarios.base import Options, Row
from bench.scenarios.connector_pycti import pycti_python
from bench.scenarios.pipeline_import import DATA_DIR, bundle_path
from bench.workers import WorkerError, WorkerPool
from stixflow.connectors.model import push_queue
from stixflow.errors import StixflowError
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime, open_runtime

NAME = "connector-drain"
FILES = (
    "mitre-cti-enterprise-attack.json",
    "mitre-cti-mobile-attack.json",
    "attack-stix-data-ics-attack-17.1.json",
    "mitre-cti-capec-2.1.json",
)
QUICK_FILES = ("mitre-cti-mobile-attack.json",)
SOURCE = "bench-mitre"
TARGET_RATIO = 0.5
POLL_SECONDS = 0.05
PUBLISH_CHUNK = 1000
MESSAGES_SCRIPT = Path(__file__).resolve().parents[1] / "pycti_messages.py"

log = logging.getLogger("bench")


def run(options: Options) -> list[Row]:
    files = [DATA_DIR / name for name in (QUICK_FILES if options.quick else FILES)]
    title = f"connector drain ({len(files)} MITRE files, pycti messages)"
    rows = []
    for pair in options.pairs:
        try:
            check_available(pair)
            python = pycti_python()
            rows.append(measure(pair, files, python, options, title=title))
        except Unavailable as exc:
            rows.append(Row.skipped(title, pair, str(exc)))
        except (WorkerError, Stalled, SubmitError, StixflowError, OSError) as exc:
            log.exception("%s on %s failed", NAME, pair)
            rows.append(Row(title, pair, note=f"failed: {type(exc).__name__}: {exc}", failed=True))
    return rows


def measure(pair: str, files: list[Path], python: Path, options: Options, *, title: str) -> Row:
    log.info("%s on %s: pycti makes the messages", NAME, pair)
    with fresh_settings(pair) as settings, scratch_dir() as scratch:
        runtime = open_runtime(settings, run_migrations=False)
        try:
            work, messages = _prefill(runtime, files, python, scratch)
            log.info("%s on %s: %d messages queued; draining", NAME, pair, messages)
            profile = None if options.profile_dir is None else options.profile_dir / pair
            if profile is not None:
                profile.mkdir(parents=True, exist_ok=True)
            env = worker_env(settings)
            with WorkerPool(options.workers, env=env, log_dir=scratch, profile_dir=profile) as pool:
                started = time.perf_counter()
                done = wait_for_work(runtime, work.id, pool, poll=POLL_SECONDS)
                drain_s = time.perf_counter() - started
                complaints = pool.complaints()
        finally:
            runtime.close()
    log.info("%s on %s: the bulk path, as reference", NAME, pair)
    bulk = import_once(pair, bundle_path(options.quick), workers=options.workers, name="bulk")
    quick = options.quick
    rate = done.processed / drain_s
    ratio = rate / bulk.objects_per_s
    return Row(
        title,
        pair,
        values={
            "messages": messages,
            "objects": done.processed,
            "wall_s": drain_s,
            "messages_per_s": messages / drain_s,
            "objects_per_s": rate,
            "baseline_objects_per_s": bulk.objects_per_s,
            "ratio": ratio,
            "target": "met" if ratio >= TARGET_RATIO else "not met",
        },
        note=f"{options.workers} workers; baseline: bulk import of {bundle_path(quick).name}",
        failed=done.failed > 0 or done.processed != done.expected,
        details={"worker_complaints": complaints[:20], "bulk_wall_s": bulk.wall_s},
    )


def _prefill(runtime: Runtime, files: list[Path], python: Path, scratch: Path) -> tuple[Work, int]:
    """The work and its queued messages, as a pycti connector leaves them once it sent all."""
    queue = runtime.registry.ensure(runtime.queue, SOURCE)
    assert queue == push_queue(SOURCE)
    work = runtime.works.open(name="MITRE", source=SOURCE, user_id=None, multipart=True)
    out = scratch / "messages.jsonl"
    made = subprocess.run(
        [str(python), str(MESSAGES_SCRIPT), work.id, str(out), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if made.returncode != 0:
        raise StixflowError(f"pycti could not make the messages: {made.stderr[-1000:]}")
    with runtime.db.transaction() as tx:
        runtime.works.extend(tx, work.id, expected=int(made.stdout.strip().splitlines()[-1]))
    bodies = out.read_bytes().splitlines()
    for start in range(0, len(bodies), PUBLISH_CHUNK):
        runtime.queue.publish_many(queue, bodies[start : start + PUBLISH_CHUNK])
    runtime.works.mark_processed(work.id, message="all sent")
    return work, len(bodies)
