"""pycti's own connector helper, installed from the registry, runs a connector written as the
OpenCTI template prescribes against a live stixflow: over HTTP (``stixBundlePush``) on the
embedded default, over AMQP on RabbitMQ with its own limited broker account."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stixflow.connectors.records import ConnectorRecords
from stixflow.connectors.service import parse_state
from stixflow.pipeline.works import COMPLETE, Work
from stixflow.runtime import Runtime
from stixflow.store.base import Access
from tests.conftest import Pair
from tests.connectors.live import connector_token, live_stixflow
from tests.connectors.pycti_env import pycti_python, run_connector

CONNECTOR_ID = "8a9e3a6b-1c1f-4c67-9d6e-0f6f3b7c2d11"
START = "2021-12-15 00:00:00"


@pytest.fixture(scope="session")
def pycti() -> Path:
    return pycti_python()


def expected_objects(data_dir: Path, protocol: str) -> int:
    """The author plus one indicator per row since START; over AMQP pycti's splitter first
    drops duplicates (an IP listed twice is one indicator id), over HTTP the bundle is whole."""
    lines = (data_dir / "csv" / "feodo_ipblocklist_2021-12-20.csv").read_text().splitlines()
    rows = [line.split(",") for line in lines if line.startswith('"2021') and line[1:20] > START]
    return 1 + (len({row[1] for row in rows}) if protocol == "amqp" else len(rows))


def wait_complete(runtime: Runtime, work_id: str, timeout: float = 120.0) -> Work:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        work = runtime.works.get(work_id)
        if work is not None and work.status == COMPLETE:
            return work
        time.sleep(0.2)
    raise AssertionError(f"work {work_id} did not complete: {runtime.works.get(work_id)}")


def test_template_connector(pair: Pair, runtime: Runtime, pycti: Path, data_dir: Path) -> None:
    protocol = "api" if pair.settings.is_embedded_broker else "amqp"
    count = expected_objects(data_dir, protocol)
    with live_stixflow(runtime) as live:
        _, token = connector_token(runtime, "Feodo")
        env = {
            "OPENCTI_URL": live.url,
            "OPENCTI_TOKEN": token,
            "CONNECTOR_ID": CONNECTOR_ID,
            "CONNECTOR_NAME": "Feodo Tracker",
            "CONNECTOR_TYPE": "EXTERNAL_IMPORT",
            "CONNECTOR_SCOPE": "feodo",
            "CONNECTOR_DURATION_PERIOD": "0",
            "CONNECTOR_LOG_LEVEL": "info",
            "CONNECTOR_QUEUE_PROTOCOL": protocol,
            "FEODO_CSV_PATH": str(data_dir / "csv" / "feodo_ipblocklist_2021-12-20.csv"),
            "FEODO_IMPORT_START_DATE": START,
        }
        # 1. first run: history from the start date; its bundles land, its work counts them
        run_connector(pycti, env)
        first = _latest_work(runtime)
        done = wait_complete(runtime, first.id)
        assert (done.expected, done.processed, done.failed) == (count, count, 0), done.errors[:3]
        assert _state(runtime)["runs"] == 1
        stored = runtime.store.get(_an_indicator(runtime), access=Access.everything())
        assert stored is not None and "ipv4-addr:value" in stored.data["pattern"]
        # 2. a restart: the state persisted on the platform, nothing new to import
        run_connector(pycti, env)
        second = _latest_work(runtime)
        assert second.id != first.id
        assert wait_complete(runtime, second.id).expected == 0
        assert _state(runtime)["runs"] == 2
        # 3. a reset from our side: the next start begins again from the start date
        from stixflow.access.audit import LOCAL_ACTOR
        from stixflow.connectors.service import ConnectorService

        assert ConnectorService(runtime, actor=LOCAL_ACTOR).reset(CONNECTOR_ID) == 0
        run_connector(pycti, env)
        third = wait_complete(runtime, _latest_work(runtime).id)
        assert third.expected == count and third.processed == count
        assert _state(runtime)["runs"] == 1


def _state(runtime: Runtime) -> dict:
    state = parse_state(ConnectorRecords(runtime.db, runtime.secrets).get(CONNECTOR_ID).state)
    assert state is not None
    return state


def _latest_work(runtime: Runtime) -> Work:
    works = runtime.works.list(source=CONNECTOR_ID, limit=1)
    assert works, "the connector opened no work"
    return works[0]


def _an_indicator(runtime: Runtime) -> str:
    with runtime.db.read() as tx:
        row = tx.fetchone("SELECT id FROM objects WHERE type = 'indicator' LIMIT 1")
    assert row is not None
    return str(row[0])
