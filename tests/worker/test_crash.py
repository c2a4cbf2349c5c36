"""A worker killed with SIGKILL mid-import loses nothing and duplicates nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime
from stixflow.store.base import Access
from tests.conftest import Pair


def start_worker(pair: Pair) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "stixflow", "worker", "--name", "victim"],
        env=pair.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_progress(runtime: Runtime, work_id: str, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        work = runtime.works.get(work_id)
        if work and work.done > 0:
            return work.done
        time.sleep(0.05)
    raise AssertionError("the worker made no progress")


def wait_complete(runtime: Runtime, work_id: str, timeout: float) -> Work:
    """Poll only: the restarted worker process must finish the work by itself."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        work = runtime.works.get(work_id)
        if work and work.status == "complete":
            return work
        time.sleep(0.1)
    raise AssertionError(f"work not complete after {timeout}s: {runtime.works.get(work_id)}")


def test_sigkill_mid_bundle_then_restart_leaves_every_object_once(
    pair: Pair, runtime: Runtime, data_dir: Path
) -> None:
    objects = orjson.loads((data_dir / "stix" / "mitre-cti-mobile-attack.json").read_bytes())
    objects = objects["objects"]
    work = runtime.submitter.submit(objects, name="crash test")
    victim = start_worker(pair)
    try:
        done_before = wait_for_progress(runtime, work.id)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert done_before < len(objects), "the worker finished before it could be killed"
    survivor = start_worker(pair)
    try:
        finished = wait_complete(runtime, work.id, timeout=300)
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    assert (finished.processed, finished.failed) == (len(objects), 0)
    counts = runtime.store.count_by_type(access=Access.everything())
    assert sum(counts.values()) == len({o["id"] for o in objects}) - _merged(objects)
    for obj in objects[::100]:
        assert runtime.store.get(obj["id"], access=Access.everything()) is not None


def _merged(objects: list[dict]) -> int:
    from stixflow.stix.bundle import normalize

    return len({o["id"] for o in objects}) - len({o["id"] for o in normalize(objects).objects})
