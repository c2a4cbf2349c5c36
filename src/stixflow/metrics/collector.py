"""The platform's state as Prometheus metrics, read at scrape time.

Queue depth per queue; objects written and failed per source (the works' counts); works per
status and their durations; dead letters; feed and connector health; worker liveness from the
heartbeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.connectors.service import ConnectorService
from stixflow.ingest.records import IngesterRecords
from stixflow.runtime import Runtime
from stixflow.worker.heartbeat import heartbeats

#: Upper bounds (seconds) of the work-duration histogram buckets.
DURATION_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)


class PlatformCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        yield self._queues()
        yield from self._objects()
        yield from self._works()
        yield self._dead_letters()
        yield from self._feeds()
        yield from self._connectors()
        yield from self._workers()

    def _queues(self) -> Metric:
        family = GaugeMetricFamily(
            "stixflow_queue_messages", "Messages waiting in a queue", labels=["queue"]
        )
        queue = self.runtime.queue
        for name in self.runtime.registry.names():
            family.add_metric([name], queue.depth(name))
        return family

    def _objects(self) -> Iterator[Metric]:
        written = CounterMetricFamily(
            "stixflow_objects_written", "Objects written, per source", labels=["source"]
        )
        failed = CounterMetricFamily(
            "stixflow_objects_failed", "Objects that failed, per source", labels=["source"]
        )
        with self.runtime.db.read() as tx:
            rows = tx.fetchall(
                "SELECT source, SUM(processed), SUM(failed) FROM works GROUP BY source"
            )
        for source, processed, failures in rows:
            written.add_metric([source], int(processed or 0))
            failed.add_metric([source], int(failures or 0))
        yield written
        yield failed

    def _works(self) -> Iterator[Metric]:
        by_status = GaugeMetricFamily("stixflow_works", "Works per status", labels=["status"])
        with self.runtime.db.read() as tx:
            for status, count in tx.fetchall("SELECT status, COUNT(*) FROM works GROUP BY status"):
                by_status.add_metric([status], count)
            spans = tx.fetchall(
                "SELECT created_at, completed_at FROM works WHERE completed_at IS NOT NULL"
            )
        yield by_status
        yield _duration_histogram([_seconds(start, end) for start, end in spans])

    def _dead_letters(self) -> Metric:
        with self.runtime.db.read() as tx:
            count = tx.scalar("SELECT COUNT(*) FROM dead_letters")
        return GaugeMetricFamily(
            "stixflow_dead_letters", "Messages that gave up (retry them)", value=int(count or 0)
        )

    def _feeds(self) -> Iterator[Metric]:
        labels = ["kind", "name"]
        up = GaugeMetricFamily(
            "stixflow_feed_up", "1: running and its last run succeeded", labels=labels
        )
        success = GaugeMetricFamily(
            "stixflow_feed_last_success_timestamp_seconds",
            "When a feed last ran without error",
            labels=labels,
        )
        for feed in IngesterRecords(self.runtime.db, self.runtime.secrets).list():
            key = [feed.kind, feed.name]
            up.add_metric(key, int(feed.running and not feed.last_error))
            if feed.last_success_at:
                success.add_metric(key, _timestamp(feed.last_success_at))
        yield up
        yield success

    def _connectors(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "stixflow_connector_up",
            "1: the connector pinged lately (built-in ones: running)",
            labels=["connector", "type"],
        )
        service = ConnectorService(self.runtime, actor=LOCAL_ACTOR)
        for connector in service.list():
            out = service.out(connector)
            up.add_metric([connector.id, connector.type.value], int(out.status in UP_STATUSES))
        yield up

    def _workers(self) -> Iterator[Metric]:
        labels = ["host", "pid", "name"]
        up = GaugeMetricFamily("stixflow_worker_up", "1: the worker beat lately", labels=labels)
        seen = GaugeMetricFamily(
            "stixflow_worker_last_seen_timestamp_seconds", "A worker's last beat", labels=labels
        )
        handled = CounterMetricFamily(
            "stixflow_worker_messages_handled", "Messages a worker handled", labels=labels
        )
        at = datetime.now(UTC)
        for beat in heartbeats(self.runtime.db):
            key = [beat.host, str(beat.pid), beat.name]
            up.add_metric(key, int(beat.up(at)))
            seen.add_metric(key, _timestamp(beat.seen_at))
            handled.add_metric(key, beat.handled)
        yield up
        yield seen
        yield handled


UP_STATUSES = ("alive", "running")


def _duration_histogram(durations: list[float]) -> Metric:
    buckets = [
        (f"{bound:g}", sum(1 for d in durations if d <= bound)) for bound in DURATION_BUCKETS
    ]
    buckets.append(("+Inf", len(durations)))
    family = HistogramMetricFamily(
        "stixflow_work_duration_seconds", "From a work's creation to its completion"
    )
    family.add_metric([], buckets, sum_value=sum(durations))
    return family


def _timestamp(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _seconds(start: str, end: str) -> float:
    return max(0.0, _timestamp(end) - _timestamp(start))
