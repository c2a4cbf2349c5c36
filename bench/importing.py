"""One timed import of a bundle through stixflow's queue and worker processes.

A fresh instance of the back-end pair; its ``import`` push queue declared and K workers
consuming before the clock starts (a deployed instance has both already); then the submitting
process (:mod:`bench.submitter`) times submit → work complete. The workers' peak memory is read
just before they are stopped, and the store is counted afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import bench
from bench.backends import fresh_settings, scratch_dir, worker_env
from bench.submitter import POLL_SECONDS, STALLED_EXIT, Stalled, wait_complete
from bench.workers import WorkerError, WorkerPool
from stixflow.config import Settings
from stixflow.pipeline.submit import DEFAULT_SOURCE
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime, open_runtime
from stixflow.store.base import Access

__all__ = ["POLL_SECONDS", "ImportRun", "Stalled", "SubmitError", "import_once"]

MAX_COMPLAINTS = 20
TAIL_CHARS = 2000
REPO = Path(bench.__file__).resolve().parent.parent


class SubmitError(Exception):
    """The submitting process failed."""


@dataclass
class ImportRun:
    objects: int
    wall_s: float
    submit_s: float
    expected: int
    processed: int
    failed: int
    submit_peak_mib: float
    submit_peak_exact: bool
    stored: int = 0
    worker_peak_mib: float | None = None
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
    pair: str, bundle: Path, *, workers: int, name: str, profile_dir: Path | None = None
) -> ImportRun:
    """Import ``bundle`` into a fresh instance of ``pair`` with ``workers`` worker processes."""
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
    with fresh_settings(pair) as settings, scratch_dir() as logs:
        _declare_queue(settings)
        env = worker_env(settings)
        with WorkerPool(workers, env=env, log_dir=logs, profile_dir=profile_dir) as pool:
            run = _submit(
                bundle,
                env=env,
                pool=pool,
                log=logs / "submitter.log",
                name=name,
                profile=profile_dir / "submit.prof" if profile_dir else None,
            )
            run.worker_peak_mib = pool.peak_rss_mib()
        complaints = pool.complaints()
        run.worker_complaint_count = len(complaints)
        run.worker_complaints = complaints[:MAX_COMPLAINTS]
        run.stored = _stored(settings)
    return run


def _submit(
    bundle: Path,
    *,
    env: dict[str, str],
    pool: WorkerPool,
    log: Path,
    name: str,
    profile: Path | None,
) -> ImportRun:
    command = [sys.executable, "-m", "bench.submitter", str(bundle), "--name", name]
    if profile is not None:
        command += ["--profile", str(profile)]
    path = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    with log.open("wb") as stream:
        process = subprocess.Popen(
            command, env={**env, "PYTHONPATH": path}, stdout=subprocess.PIPE, stderr=stream
        )
    with process:
        try:
            while process.poll() is None:
                pool.check_alive()
                time.sleep(0.1)
        except WorkerError:
            process.kill()
            raise
        output = process.stdout.read() if process.stdout else b""
    tail = log.read_text(errors="replace")[-TAIL_CHARS:].strip()
    if process.returncode == STALLED_EXIT:
        raise Stalled(tail)
    if process.returncode != 0:
        raise SubmitError(f"submitter exited with {process.returncode}: {tail}")
    return ImportRun(**json.loads(output))


def _declare_queue(settings: Settings) -> None:
    runtime = open_runtime(settings, run_migrations=False)
    try:
        runtime.registry.ensure(runtime.queue, DEFAULT_SOURCE)
    finally:
        runtime.close()


def _stored(settings: Settings) -> int:
    runtime = open_runtime(settings, run_migrations=False)
    try:
        return sum(runtime.store.count_by_type(access=Access.everything()).values())
    finally:
        runtime.close()


def wait_for_work(
    runtime: Runtime, work_id: str, pool: WorkerPool, *, poll: float, stall: float = 120.0
) -> Work:
    """Wait for a work to complete; ``Stalled`` when it makes no progress for ``stall`` seconds,
    ``WorkerError`` when a worker of ``pool`` died."""
    return wait_complete(runtime, work_id, poll=poll, stall=stall, check=pool.check_alive)
