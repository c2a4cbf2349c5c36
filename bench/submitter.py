"""The submitting process of the "pipeline import" scenario: ``python -m bench.submitter``.

It runs in a process of its own, as ``stixflow import`` would, so that its peak memory is the
submit's alone (not the harness's, nor an earlier repetition's). Settings come from the
environment (``STIXFLOW_*``, as for the workers). Start it with the workers already consuming.

The clock starts when the submit starts (``parse_bundle`` of the bytes already read, then
``runtime.submitter.submit``: normalise + queue) and stops when ``runtime.works.get`` first
shows the work complete (polled every ``POLL_SECONDS``). One JSON line on stdout: the timings,
the work's counters and the peak RSS. Exit status 3 when the work stalls.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.memory import own_peak_rss_mib, reset_peak
from stixflow.config import load_settings
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime, open_runtime
from stixflow.stix.bundle import parse_bundle

POLL_SECONDS = 0.05
STALL_SECONDS = 120.0
STALLED_EXIT = 3


class Stalled(Exception):
    """The work made no progress for ``STALL_SECONDS``."""


def timed_import(
    runtime: Runtime, data: bytes, *, name: str, profile: Path | None = None
) -> dict[str, Any]:
    profiler = cProfile.Profile() if profile is not None else None
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
    final = wait_complete(runtime, work.id)
    wall_s = time.perf_counter() - started
    if profiler is not None and profile is not None:
        profiler.dump_stats(profile)
    return {
        "objects": len(objects),
        "wall_s": wall_s,
        "submit_s": submit_s,
        "expected": final.expected,
        "processed": final.processed,
        "failed": final.failed,
        "submit_peak_mib": own_peak_rss_mib(),
        "submit_peak_exact": exact,
    }


def wait_complete(
    runtime: Runtime,
    work_id: str,
    *,
    poll: float = POLL_SECONDS,
    stall: float = STALL_SECONDS,
    check: Callable[[], None] | None = None,
) -> Work:
    """Poll the work until it is finished (complete, or failed: nothing more will happen to it);
    raise :class:`Stalled` when it makes no progress for ``stall`` seconds. ``check`` runs
    between polls (it raises to give up sooner)."""
    last_done, last_change = -1, time.monotonic()
    while True:
        current = runtime.works.get(work_id)
        if current is None:
            raise Stalled(f"work {work_id} disappeared")
        if current.finished:
            return current
        if current.done != last_done:
            last_done, last_change = current.done, time.monotonic()
        elif time.monotonic() - last_change > stall:
            raise Stalled(f"no progress for {stall:.0f}s at {current.done}/{current.expected}")
        if check is not None:
            check()
        time.sleep(poll)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.submitter")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--name", default="bench")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile file")
    args = parser.parse_args(argv)
    data = args.bundle.read_bytes()
    runtime = open_runtime(load_settings(), run_migrations=False)
    try:
        result = timed_import(runtime, data, name=args.name, profile=args.profile)
    except Stalled as exc:
        print(f"stalled: {exc}", file=sys.stderr)
        sys.exit(STALLED_EXIT)
    finally:
        runtime.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
