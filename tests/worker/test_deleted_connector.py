"""Deleting a connector on the RabbitMQ back end (from the API process) while a worker runs:
the worker goes on and handles the next import."""

from __future__ import annotations

import time

import pytest

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.connectors.model import ConnectorType
from stixflow.connectors.schemas import ConnectorRegister
from stixflow.connectors.service import ConnectorService
from stixflow.runtime import Runtime, open_runtime
from stixflow.worker.loop import Worker
from tests.conftest import Pair
from tests.support import malware


def test_worker_survives_a_connector_deleted_elsewhere(pair: Pair, runtime: Runtime) -> None:
    if pair.settings.is_embedded_broker:
        pytest.skip("RabbitMQ only: embedded queues are rows, not broker queues")
    worker = Worker(runtime, name="t")
    api = open_runtime(pair.settings)
    try:
        service = ConnectorService(api, actor=LOCAL_ACTOR)
        spec = ConnectorRegister(id="doomed", name="Doomed", type=ConnectorType.EXTERNAL_IMPORT)
        service.register(spec, user_id=None)
        worker.run_once(timeout=0.3)  # the worker now polls push_doomed
        assert any("doomed" in q for q in worker.queues())
        service.delete("doomed")
        # the deletion lands between the worker's refresh of its queue list and its next poll
        worker._queues_at = time.monotonic()
        worker.run_once(timeout=0.3)
        work = api.submitter.submit([malware("After")], name="after")
    finally:
        api.close()
    for _ in range(20):
        worker.run_once(timeout=0.5)
        done = runtime.works.get(work.id)
        if done is not None and done.done == 1:
            break
    done = runtime.works.get(work.id)
    assert done is not None and done.done == 1
