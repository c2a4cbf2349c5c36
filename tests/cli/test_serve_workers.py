"""``stixflow serve`` never leaves worker processes behind, however it ends."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.streams.instances import Instance


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


def test_workers_exit_when_serve_is_killed_alone(tmp_path: Path) -> None:
    instance = Instance("lone", tmp_path).start()
    try:
        assert instance.process is not None
        workers = children(instance.process.pid)
        assert workers, "serve started no worker"
        os.kill(instance.process.pid, signal.SIGKILL)  # the workers get no signal at all
        instance.process.wait(10)
        assert wait_gone(workers) == [], "workers outlived their serve"
    finally:
        instance.kill()
        instance.close()


def test_a_terminated_serve_takes_its_workers_along(tmp_path: Path) -> None:
    instance = Instance("group", tmp_path).start()
    assert instance.process is not None
    workers = children(instance.process.pid)
    instance.close()  # SIGTERM to the whole process group, as a service manager does
    assert wait_gone(workers) == []
