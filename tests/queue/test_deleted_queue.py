"""Deleting a connector on the RabbitMQ back end deletes its ``push_<id>`` queue from another
process (the API) while a worker polls it: the worker's next poll finds no message there and
goes on serving the other queues, instead of failing on ``NOT_FOUND - no queue``."""

from __future__ import annotations

import pytest

from stixflow.runtime import Runtime, open_runtime
from tests.conftest import Pair


def test_a_queue_deleted_elsewhere_does_not_break_the_poll(pair: Pair, runtime: Runtime) -> None:
    if pair.settings.is_embedded_broker:
        pytest.skip("RabbitMQ only: the embedded queue has no queue objects to delete")
    worker = runtime.queue
    worker.publish("push_gone", b"one")
    delivery = worker.receive(["push_gone"], timeout=2.0)
    assert delivery is not None
    worker.ack(delivery)
    api = open_runtime(pair.settings)
    try:
        api.queue.delete("push_gone")
    finally:
        api.close()
    assert worker.receive(["push_gone", "push_kept"], timeout=0.5) is None
    worker.publish("push_kept", b"two")
    found = worker.receive(["push_gone", "push_kept"], timeout=5.0)
    assert found is not None and found.body == b"two"
    worker.ack(found)
    worker.delete("push_kept")
    worker.delete("push_gone")
