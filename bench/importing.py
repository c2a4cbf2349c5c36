"""One timed import of a bundle through stixflow's queue and worker processes.

The clock starts when the submit starts (parse + normalise + queue, through
``runtime.submitter.submit``, in this process) and stops when ``runtime.works.get`` first shows
the work complete (polled every ``POLL_SECONDS``). The workers are started, and the push queue
declared, before the clock starts: a deployed instance has both already.
"""

from __future__ import annotations

import cProfile
import gc
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.backends import fresh_settings, scratch_dir, worker_env
from bench.memory import own_peak_rss_mib, reset_peak
from bench.workers import WorkerPool
from stixflow.pipeline.submit import DEFAULT_SOURCE
from stixflow.pipeline.works import COMPLETE, Work
from stixflow.runtime import Runtime, open_runtime
from stixflow.stix.bundle import parse_bundle
from stixflow.store.base import Access

POLL_SECONDS = 0.05
STALL_SECONDS = 120.0
MAX_COMPLAINTS = 20

log = logging.getLogger("bench")


class Stalled(Exception):
    """The work made no progress for ``STALL_SECONDS``."""


@dataclass
class ImportRun:
    objects: int
    wall_s: float
    submit_s: float
    expected: int
    processed: int
    failed: int
    stored: int
    submit_peak_mib: float
    submit_peak_exact: bool
    worker_peak_mib: float | None
    worker_complaint_count: int = 0
    worker_complaints: list[str] = field(default_factory=list)

    @property
    def objects_per_s(self) -> float:
        return self.objects / self.wall_s

    @property
    def count_ok(self) -> bool:
        """Every parsed object was written, none failed, and the store holds exactly them."""
        return self.failed == 0 and self.processed == self.expected == self.stored == self.objects


def import_once(
    pair: str, data: bytes, *, workers: int, name: str, profile_dir: Path | None = None
) -> ImportRun:
    """Import ``data`` into a fresh instance of ``pair`` with ``workers`` worker processes."""
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
    with fresh_settings(pair) as settings, scratch_dir() as logs:
        runtime = open_runtime(settings, run_migrations=False)
        try:
            runtime.registry.ensure(runtime.queue, DEFAULT_SOURCE)
            with WorkerPool(
                workers, env=worker_env(settings), log_dir=logs, profile_dir=profile_dir
            ) as pool:
                run = _timed(runtime, data, pool, name=name, profile_dir=profile_dir)
            complaints = pool.complaints()
            run.worker_complaint_count = len(complaints)
            run.worker_complaints = complaints[:MAX_COMPLAINTS]
        finally:
            runtime.close()
    return run


def _timed(
    runtime: Runtime, data: bytes, pool: WorkerPool, *, name: str, profile_dir: Path | None
) -> ImportRun:
    profiler = cProfile.Profile() if profile_dir is not None else None
    gc.collect()
    exact = reset_peak()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    objects = parse_bundle(data)
    work = runtime.submitter.submit(objects, name=name)
    if profiler is not None:
        profiler.disable()
    submit_s = time.perf_counter() - started
    log.info("queued %d objects in %.2fs; waiting for the workers", work.expected, submit_s)
    final = _wait(runtime, work, pool)
    wall = time.perf_counter() - started
    submit_peak = own_peak_rss_mib()
    worker_peak = pool.peak_rss_mib()
    if profiler is not None and profile_dir is not None:
        profiler.dump_stats(profile_dir / "submit.prof")
    stored = sum(runtime.store.count_by_type(access=Access.everything()).values())
    return ImportRun(
        objects=len(objects),
        wall_s=wall,
        submit_s=submit_s,
        expected=final.expected,
        processed=final.processed,
        failed=final.failed,
        stored=stored,
        submit_peak_mib=submit_peak,
        submit_peak_exact=exact,
        worker_peak_mib=worker_peak,
    )


def _wait(runtime: Runtime, work: Work, pool: WorkerPool) -> Work:
    """Poll the work until it is complete; raise if it stalls or a worker dies."""
    last_done, last_change = -1, time.monotonic()
    while True:
        current = runtime.works.get(work.id)
        if current is None:
            raise Stalled(f"work {work.id} disappeared")
        if current.status == COMPLETE:
            return current
        if current.done != last_done:
            last_done, last_change = current.done, time.monotonic()
        elif time.monotonic() - last_change > STALL_SECONDS:
            raise Stalled(
                f"no progress for {STALL_SECONDS:.0f}s at {current.done}/{current.expected}"
            )
        pool.check_alive()
        time.sleep(POLL_SECONDS)
