"""One build of a peer's virtual environment at a time, across threads and test processes.

``make test`` runs the suite in two processes (pytest-xdist), each of which may build the same
environment in the background while its tests run: without a lock both ran ``venv --clear`` and
pip into one folder, and one process cleared what the other had installed.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def building(venv: Path) -> Iterator[None]:
    """Hold ``venv``'s build lock (a ``flock`` on ``<venv>.lock`` beside it) inside the block."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
