"""Orphaned works: a submit that dies leaves a work its client knows, which ends ``failed`` with
the reason; submitting the bundle again completes the data and duplicates nothing.

The kill is real: ``stixflow serve`` (API, worker and reaper) runs as a subprocess on each back-end
pair and is killed with SIGKILL while it queues ATT&CK Enterprise (24,771 objects). To kill it at
that moment and no other, the test holds the lock the submit's next heartbeat needs (SQLite's
write lock; the work's row on PostgreSQL) once a first batch is queued.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from stixflow.cli.main import cli
from stixflow.config import WorkSettings
from stixflow.db.sqlite import sqlite_path
from stixflow.errors import BackendError
from stixflow.pipeline.reaper import WorkReaper
from stixflow.pipeline.works import COMPLETE, FAILED, IN_PROGRESS, PENDING, Work
from stixflow.runtime import Runtime, open_runtime
from stixflow.stix.bundle import normalize, parse_bundle
from stixflow.taxii.resources import status
from tests.conftest import Pair
from tests.streams.instances import Instance
from tests.support import bundle, drain, malware

ENTERPRISE = "stix/mitre-cti-enterprise-attack.json"


class PairInstance(Instance):
    """``stixflow serve`` on the test's back-end pair, with its own abandonment delay."""

    def __init__(self, name: str, folder: Path, pair: Pair, *, abandoned_after: float) -> None:
        super().__init__(name, folder)
        self.pair = pair
        self.abandoned_after = abandoned_after

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            **{key: value for key, value in self.pair.env.items() if key.startswith("STIXFLOW_")},
            "STIXFLOW_WORKS__ABANDONED_AFTER_SECONDS": str(self.abandoned_after),
        }


def wait_for(what: str, check: Callable[[], Any], *, timeout: float, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def heartbeat_blocked(pair: Pair, work_id: str) -> Iterator[None]:
    """Hold what the submit's next heartbeat must take: SQLite's write lock, or the work's row."""
    url = pair.settings.database_url
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(url), timeout=60, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with psycopg.connect(url) as pg:
        pg.execute("SELECT 1 FROM works WHERE id = %s FOR UPDATE", (work_id,))
        yield
        pg.rollback()


def stored_ids(runtime: Runtime) -> list[str]:
    with runtime.db.read() as tx:
        return [row[0] for row in tx.fetchall("SELECT id FROM objects")]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_submit_killed_while_queuing_ends_failed_and_a_resubmit_completes(
    pair: Pair, runtime: Runtime, tmp_path: Path, data_dir: Path
) -> None:
    body = (data_dir / ENTERPRISE).read_bytes()
    first = PairInstance("first", tmp_path, pair, abandoned_after=600).start()
    seeded = set(stored_ids(runtime))  # the TLP marking definitions the platform creates
    try:
        answer = first.http.post("/api/bundles", content=body)
        assert answer.status_code == 202, answer.text
        work_id = answer.json()["work_id"]  # the client knows its work before it is queued
        wait_for(
            "a first batch queued",
            lambda: works_get(runtime, work_id).queued,
            timeout=60,
            every=0.01,
        )
        with heartbeat_blocked(pair, work_id):
            first.kill()
    finally:
        first.kill()
        first.close()

    orphan = works_get(runtime, work_id)
    assert orphan.submitting and 0 < orphan.queued < orphan.expected == 24_771
    assert orphan.status in (PENDING, IN_PROGRESS)

    second = PairInstance("second", tmp_path, pair, abandoned_after=2).start()
    try:
        shown = wait_for(
            "the reaper",
            lambda: (w := second.call("GET", f"/api/works/{work_id}"))["status"] == FAILED and w,
            timeout=60,
        )
        assert shown["submitting"] is False and shown["queued"] == orphan.queued
        assert shown["reason"].startswith(
            f"abandoned: the submit stopped after queuing {orphan.queued} of 24771 objects"
        )
        assert "submit the bundle again" in shown["reason"]

        again = second.http.post("/api/bundles", content=body)
        assert again.status_code == 202, again.text
        resubmitted = again.json()["work_id"]
        done = wait_for(
            "the resubmitted work",
            lambda: (w := second.call("GET", f"/api/works/{resubmitted}"))["status"] == COMPLETE
            and w,
            timeout=900,
            every=1.0,
        )
    finally:
        second.close()

    assert done["processed"] + done["failed"] == done["expected"] == 24_771
    refused = {error["object_id"] for error in done["errors"]}
    expected_ids = {obj["id"] for obj in normalize(parse_bundle(body)).objects} - refused
    ids = stored_ids(runtime)
    assert len(ids) == len(set(ids)) and set(ids) == expected_ids | seeded  # all there, once
    assert works_get(runtime, work_id).status == FAILED  # its late chunks did not revive it


def works_get(runtime: Runtime, work_id: str) -> Work:
    work = runtime.works.get(work_id)
    assert work is not None
    return work


# -- the reaper's rules, in-process --------------------------------------------------------------


@pytest.fixture
def reaper(pair: Pair) -> Iterator[WorkReaper]:
    settings = pair.settings.model_copy(update={"works": WorkSettings(abandoned_after_seconds=1)})
    quick = open_runtime(settings)
    yield WorkReaper(quick)
    quick.close()


def test_a_work_whose_messages_are_gone_is_failed_and_a_backlog_is_not(
    runtime: Runtime, reaper: WorkReaper
) -> None:
    lost = runtime.submitter.submit([malware("lost"), malware("too")], name="lost", source="a")
    waiting = runtime.submitter.submit([malware("waiting")], name="backlog", source="b")
    runtime.queue.purge("push_a")  # e.g. a connector reset: what was queued never comes
    live = runtime.submitter.open([malware("live")], name="live", source="c")  # queuing now
    time.sleep(1.2)
    runtime.works.queued_more(live.work.id, 0)  # the live submit's heartbeat

    assert reaper.reap() == [lost.id]
    failed = works_get(runtime, lost.id)
    assert failed.status == FAILED and failed.completed_at is not None
    assert failed.reason is not None and failed.reason.startswith(
        "abandoned: no progress for 1 s with 2 of 2 objects missing and nothing left in its queue"
    )
    assert works_get(runtime, waiting.id).status == PENDING  # its message is still queued
    assert works_get(runtime, live.work.id).submitting == 1
    assert drain(runtime, waiting).status == COMPLETE
    runtime.submitter.send(live)  # the live submit ends well
    assert reaper.reap() == []
    assert drain(runtime, live.work).status == COMPLETE


def test_a_submit_that_fails_marks_its_work_failed_at_once(pair: Pair) -> None:
    unreachable = pair.settings.model_copy(update={"broker_url": "amqp://guest:guest@127.0.0.1:9/"})
    runtime = open_runtime(unreachable)  # the database answers, the broker does not
    try:
        submission = runtime.submitter.open([malware("a"), malware("b")], name="x", source="s")
        with pytest.raises(BackendError):
            runtime.submitter.send(submission)
        work = works_get(runtime, submission.work.id)
    finally:
        runtime.close()
    assert work.status == FAILED and not work.submitting and work.completed_at is not None
    assert work.reason is not None
    assert work.reason.startswith("the submit failed after queuing 0 of 2 objects: ")
    assert work.reason.endswith("; submit the bundle again")


def test_objects_json_cannot_carry_fail_alone_at_submit(runtime: Runtime) -> None:
    # an ingester's mapping may build what JSON cannot carry: orjson refuses integers past 64 bits
    good, odd = malware("good"), malware("odd", x_count=2**70)
    work = drain(runtime, runtime.submitter.submit([good, odd], name="odd", source="s"))
    assert (work.processed, work.failed) == (1, 1)
    assert work.errors[0].reason == "cannot be written as JSON: Integer exceeds 64-bit range"


def test_failed_works_show_in_the_cli(runtime: Runtime, pair: Pair) -> None:
    work = runtime.submitter.open([malware("x")], name="cli", source="import").work
    assert runtime.works.fail(work.id, "abandoned: testing")
    env = {key: value for key, value in pair.env.items() if key.startswith("STIXFLOW_")}
    shown = CliRunner().invoke(cli, ["works", "show", work.id], env=env, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert f"status {FAILED}:" in shown.output and "reason: abandoned: testing" in shown.output
    listed = CliRunner().invoke(cli, ["works", "list"], env=env, catch_exceptions=False)
    assert f"{work.id}\t{FAILED}\t0/1" in listed.output


def test_a_submit_that_ends_clears_its_mark(runtime: Runtime) -> None:
    done = drain(runtime, runtime.submitter.submit(bundle(malware("a"))["objects"], name="a"))
    assert not done.submitting and done.queued == 1 and done.reason is None


def test_a_failed_taxii_push_reads_complete_with_its_missing_objects_failed(
    runtime: Runtime,
) -> None:
    submission = runtime.submitter.open([malware("a"), malware("b")], name="push", source="p")
    assert runtime.works.fail(submission.work.id, "abandoned: testing")
    body = status(works_get(runtime, submission.work.id), {})
    assert body["status"] == "complete" and body["x_stixflow_reason"] == "abandoned: testing"
    assert (body["success_count"], body["failure_count"], body["pending_count"]) == (0, 2, 0)
