"""pycti's ``listen_stream`` (the real client, in its own virtual environment) reads our stream
in OpenCTI's format: from a start date (nothing older), deletions only when it asks for them,
and after a restart it resumes from the position kept in its connector state with no gap and no
repeat."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stixflow.clock import now
from stixflow.runtime import Runtime
from stixflow.store.base import Provenance
from tests.connectors.live import Live, live_stixflow
from tests.connectors.pycti_env import pycti_python
from tests.connectors.test_stream_peers import last_seq, new_stream, position, stream_env
from tests.support import malware
from tests.taxii.support import write

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
SCRIPT = Path(__file__).resolve().parent / "stream_listener" / "listen.py"


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    with live_stixflow(runtime) as server:
        yield server


@contextmanager
def listening(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(pycti_python()), str(SCRIPT)],
            env={"PATH": os.environ.get("PATH", ""), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(30)


def wait_for(check: Any, *, what: str, log: Path, timeout: float = 90.0) -> None:
    """Poll ``check()``; on timeout fail with the end of the listeners' log."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.3)


def events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def seen(path: Path, kind: str) -> set[str]:
    return {e["object"] for e in events(path) if e["event"] == kind}


def test_listen_stream_from_a_start_date_with_and_without_deletions_and_a_restart(
    runtime: Runtime, live: Live, tmp_path: Path
) -> None:
    stream = new_stream(runtime, "malware")
    old = malware("Before the start date")
    write(runtime, [old])
    time.sleep(1.1)
    start = str(int(datetime.now(UTC).timestamp() * 1000))  # pycti adds "-0"
    time.sleep(1.1)
    first, second = malware("Emotet"), malware("TrickBot")
    write(runtime, [first, second])

    keeper_id, keeper = stream_env(live, "NoDeletes", stream)
    keeper |= {"LISTEN_OUTPUT": str(tmp_path / "keeper.jsonl"), "LISTEN_START": start}
    keeper |= {"LISTEN_DELETE": "false"}
    _, deleter = stream_env(live, "Deletes", stream)
    deleter |= {"LISTEN_OUTPUT": str(tmp_path / "deleter.jsonl"), "LISTEN_START": start}
    kept, deleted = tmp_path / "keeper.jsonl", tmp_path / "deleter.jsonl"
    log = tmp_path / "listen.log"

    with listening(keeper, log), listening(deleter, log):
        both = {first["id"], second["id"]}
        wait_for(
            lambda: both <= seen(kept, "create") and both <= seen(deleted, "create"),
            log=log,
            what="the objects after the start date",
        )
        assert old["id"] not in seen(kept, "create") | seen(deleted, "create")
        runtime.store.delete(first["id"], provenance=Provenance(seen_at=now(), source="test"))
        third = malware("Qakbot")
        write(runtime, [third])
        wait_for(
            lambda: third["id"] in seen(kept, "create") and third["id"] in seen(deleted, "create"),
            log=log,
            what="the events after the deletion",
        )
        assert seen(deleted, "delete") == {first["id"]}
        assert seen(kept, "delete") == set()
        done = last_seq(runtime, third["id"])
        wait_for(
            lambda: position(runtime, keeper_id) >= done,
            timeout=100,
            log=log,
            what="the keeper's position in its connector state",
        )

    before = len(events(kept))
    fourth = malware("IcedID")
    write(runtime, [fourth])
    with listening(keeper, log):
        wait_for(lambda: fourth["id"] in seen(kept, "create"), log=log, what="the missed object")
        time.sleep(1.0)
        after = events(kept)[before:]
        assert [(e["event"], e["object"]) for e in after] == [("create", fourth["id"])]
