"""The ingestion manager: schedules, back-pressure, one acting manager, hanging feeds."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from stixflow.config import IngestionManagerSettings
from stixflow.ingest.lock import LeaseLock, lock_for
from stixflow.ingest.manager import IngestionManager, is_due
from stixflow.ingest.records import Ingester
from stixflow.ingest.schemas import RssCreate
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime
from tests.ingest.servers import FeedServer, Route
from tests.ingest.test_rss import rss
from tests.support import drain

DAY1 = ("One", "https://vendor.example/1", "Mon, 01 Jan 2024 10:00:00 GMT")
DAY2 = ("Two", "https://vendor.example/2", "Tue, 02 Jan 2024 10:00:00 GMT")


def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def feed(
    service: IngestionService, name: str, url: str, *, timeout: float = 30.0, period: str = "PT1S"
) -> str:
    spec = RssCreate(
        name=name, url=url, running=True, scheduling_period=period, timeout_seconds=timeout
    )
    return service.create("rss", spec).id


def test_is_due_follows_the_scheduling_period() -> None:
    moment = datetime(2024, 1, 1, 12, tzinfo=UTC)
    ingester = Ingester(
        id="x", kind="rss", name="x", description="", source="x", running=True, user_id=None,
        created_by=None, import_from=None, scheduling_period="PT1H",
    )  # fmt: skip
    assert is_due(ingester, moment)  # never ran
    ingester.last_run_at = (moment - timedelta(minutes=59)).isoformat()
    assert not is_due(ingester, moment)
    ingester.last_run_at = (moment - timedelta(minutes=60)).isoformat()
    assert is_due(ingester, moment)
    ingester.scheduling_period = "auto"
    assert is_due(ingester, moment)


def test_a_hanging_feed_delays_no_other(
    runtime: Runtime, service: IngestionService, feeds: FeedServer
) -> None:
    runtime.settings.ingestion_manager = IngestionManagerSettings(interval=1, queue_threshold=1000)
    good = feed(service, "good", feeds.serve("/good.xml", Route(rss(DAY1))))
    hanging = feed(service, "hanging", feeds.serve("/hang.xml", Route(rss(DAY1))), timeout=2.0)
    feeds.serve("/hang.xml", Route(hang=60))  # it answered at creation, it hangs now
    manager = IngestionManager(runtime, run_timeout=6.0)
    manager.start()
    try:
        wait_for(lambda: service.get("rss", good).health.total_objects == 2)  # identity + One
        assert hanging in manager.busy()
        feeds.serve("/good.xml", Route(rss(DAY1, DAY2)))
        wait_for(lambda: service.get("rss", good).health.total_objects == 4, timeout=5.0)
        assert hanging in manager.busy()  # still hanging: the good feed did not wait for it
        wait_for(lambda: service.get("rss", hanging).health.last_error is not None)
    finally:
        manager.stop()
    error = str(service.get("rss", hanging).health.last_error)
    assert "timed out" in error or "deadline" in error
    good_requests = [path for path, _ in feeds.requests if path == "/good.xml"]
    assert len(good_requests) >= 3
    assert service.get("rss", good).health.status == "ok"


def test_back_pressure_skips_a_feed_whose_queue_is_full(
    runtime: Runtime, service: IngestionService, feeds: FeedServer
) -> None:
    runtime.settings.ingestion_manager = IngestionManagerSettings(interval=1, queue_threshold=0)
    ingester = feed(service, "busy", feeds.serve("/busy.xml", Route(rss(DAY1))), period="auto")
    queued = service.run_now("rss", ingester)
    manager = IngestionManager(runtime)
    try:
        assert manager.tick() == []
        assert service.get("rss", ingester).health.status == "buffering"
        for work in queued.works:
            drain(runtime, work)
        assert manager.tick() == [ingester]
        assert manager.wait_idle(10)
        assert service.get("rss", ingester).health.status == "ok"
    finally:
        manager.stop()


def test_only_one_manager_acts_on_a_database(
    runtime: Runtime, service: IngestionService, feeds: FeedServer
) -> None:
    ingester = feed(service, "shared", feeds.serve("/shared.xml", Route(rss(DAY1))))
    interval = runtime.settings.ingestion_manager.interval
    first = IngestionManager(runtime, lock=lock_for(runtime.db, interval=interval))
    second = IngestionManager(runtime, lock=lock_for(runtime.db, interval=interval))
    try:
        assert first.tick() == [ingester]
        assert second.tick() == []  # the lock is held: the second stands by
        assert first.wait_idle(10)
        first.stop()
        assert second.lock.acquire()  # released at stop: the second takes over
    finally:
        first.stop()
        second.stop()


def test_an_expired_lease_is_taken_over(runtime: Runtime) -> None:
    if runtime.db.dialect != "sqlite":
        pytest.skip("the lease is SQLite's lock (PostgreSQL's goes with its connection)")
    dead = LeaseLock(runtime.db, ttl=0.2, holder="dead-process")
    alive = LeaseLock(runtime.db, ttl=30, holder="alive-process")
    assert dead.acquire() and not alive.acquire()
    time.sleep(0.3)
    assert alive.acquire() and not dead.acquire()
