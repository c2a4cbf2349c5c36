"""What an operator's monitoring scrapes: ``/metrics`` parsed by the Prometheus client's own
parser, values that change when an import runs; ``/health`` (liveness) and ``/ready``
(readiness). On both back-end pairs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.capabilities import Capability
from stixflow.connectors.service import ConnectorService
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime
from stixflow.worker.loop import Worker
from tests.api.conftest import admin_token, client, user_token  # noqa: F401  (shared fixtures)
from tests.conftest import Pair
from tests.ingest.conftest import feeds  # noqa: F401  (shared fixture)
from tests.ingest.servers import FeedServer, Route
from tests.ingest.test_rss import rss
from tests.support import bundle, drain, malware

SCRAPER_TOKEN = "metrics-scraper-token-0123456789"


@pytest.fixture
def pair(pair: Pair) -> Pair:
    metrics = pair.settings.metrics.model_copy(update={"token": SecretStr(SCRAPER_TOKEN)})
    return replace(pair, settings=pair.settings.model_copy(update={"metrics": metrics}))


def scrape(http: TestClient, token: str = SCRAPER_TOKEN) -> dict[tuple[str, tuple], float]:
    answer = http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict, metric: str, **labels: str) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


def test_an_import_moves_the_metrics(client: TestClient, runtime: Runtime) -> None:  # noqa: F811
    before = scrape(client)
    accepted = client.post("/api/bundles", json=bundle(*(malware(f"M{i}") for i in range(7))))
    queued = scrape(client)
    assert value(queued, "stixflow_queue_messages", queue="push_import") >= 1
    assert value(queued, "stixflow_works", status="pending") >= 1
    drain(runtime, accepted.json()["work_id"])
    after = scrape(client)
    written = "stixflow_objects_written_total"
    assert value(after, written, source="import") == value(before, written, source="import") + 7
    assert value(after, "stixflow_queue_messages", queue="push_import") == 0
    assert value(after, "stixflow_work_duration_seconds_count") >= 1
    assert value(after, "stixflow_dead_letters") == 0
    route = {"method": "POST", "route": "/api/bundles", "status": "202"}
    assert value(after, "stixflow_http_request_duration_seconds_count", **route) == 1


def test_a_running_worker_is_up(client: TestClient, runtime: Runtime) -> None:  # noqa: F811
    stop = threading.Event()
    worker = threading.Thread(target=Worker(runtime, name="probe").run, args=(stop,))
    worker.start()
    try:
        for _ in range(100):
            ups = [k for k, v in scrape(client).items() if k[0] == "stixflow_worker_up" and v]
            if ups:
                break
            stop.wait(0.1)
        assert ups and dict(ups[0][1])["name"] == "probe"
    finally:
        stop.set()
        worker.join(10)
    gone = [k for k in scrape(client) if k[0] == "stixflow_worker_up"]
    assert gone == []  # a worker that stopped cleanly takes its heartbeat with it


DAY = "Mon, 01 Jan 2024 10:00:00 GMT"


def test_feeds_and_connectors_report_their_health(
    client: TestClient,  # noqa: F811
    runtime: Runtime,
    feeds: FeedServer,  # noqa: F811
) -> None:
    url = feeds.serve("/feed.xml", Route(rss(("One", "https://blog.example/1", DAY))))
    created = client.post("/api/ingestion/rss", json={"name": "blog", "url": url})
    assert created.status_code == 201, created.text
    feeds.serve("/feed.xml", Route(b"", status=503, content_type="text/plain"))  # it breaks
    assert value(scrape(client), "stixflow_feed_up", kind="rss", name="blog") == 0  # stopped
    assert client.post(f"/api/ingestion/rss/{created.json()['id']}/start").is_success
    assert value(scrape(client), "stixflow_feed_up", kind="rss", name="blog") == 1
    run = IngestionService(runtime, actor=LOCAL_ACTOR).run_now("rss", created.json()["id"])
    assert run.error
    samples = scrape(client)
    assert value(samples, "stixflow_feed_up", kind="rss", name="blog") == 0  # its run failed
    registered = client.post(
        "/api/connectors", json={"id": "feed-x", "name": "Feed X", "type": "EXTERNAL_IMPORT"}
    )
    assert registered.is_success
    samples = scrape(client)
    assert value(samples, "stixflow_connector_up", connector="feed-x", type="EXTERNAL_IMPORT") == 1


def test_metrics_need_the_scraper_token_or_settings(
    client: TestClient,  # noqa: F811
    user_token: Callable[..., str],  # noqa: F811
) -> None:
    assert client.get("/metrics", headers={"Authorization": ""}).status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    reader = user_token(Capability.KNOWLEDGE)
    assert client.get("/metrics", headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    assert scrape(client, user_token(Capability.SETTINGS))


def test_liveness_and_readiness(client: TestClient, runtime: Runtime) -> None:  # noqa: F811
    assert client.get("/health", headers={"Authorization": ""}).json()["status"] == "ok"
    ready = client.get("/ready", headers={"Authorization": ""})
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok"},
    }
    with runtime.db.transaction() as tx:
        latest = tx.scalar("SELECT MAX(version) FROM schema_migrations")
        tx.execute("DELETE FROM schema_migrations WHERE version = ?", (latest,))
    behind = client.get("/ready", headers={"Authorization": ""})
    assert behind.status_code == 503
    assert "run stixflow migrate" in behind.json()["checks"]["migrations"]


@pytest.fixture(autouse=True)
def _forget_connectors(runtime: Runtime) -> Iterator[None]:
    yield

    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    for connector in service.records.list():
        service.delete(connector.id)
