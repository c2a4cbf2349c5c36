"""A description of the machine and software a result was measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def memory_mib() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return None


def commit() -> str | None:
    """The checked-out commit (the working tree may differ from it)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def describe() -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_mib": memory_mib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "load_average": os.getloadavg(),
        "commit": commit(),
    }


def summary(machine: dict[str, Any]) -> str:
    one, five, _ = machine["load_average"]
    return (
        f"{machine['nproc']} cores ({machine['cpu_model']}), {machine['memory_mib']} MiB, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}; "
        f"load average {one:.2f} (1 min), {five:.2f} (5 min)"
    )
