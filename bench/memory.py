"""Peak resident memory (Linux ``VmHWM``) of this process and of the worker processes."""

from __future__ import annotations

import resource
from pathlib import Path

KIB_PER_MIB = 1024


def reset_peak() -> bool:
    """Restart this process's peak-RSS count from its current RSS (Linux ``clear_refs`` 5).

    False when the kernel refuses; the peak then covers the whole process lifetime.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib(pid: int | str = "self") -> float | None:
    """``VmHWM`` of a live process in MiB; None when it cannot be read (process gone, no /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / KIB_PER_MIB
    return None


def own_peak_rss_mib() -> float:
    """This process's peak RSS, from /proc when possible, else from ``getrusage``."""
    peak = peak_rss_mib()
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MIB
