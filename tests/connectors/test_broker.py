"""On RabbitMQ each connector gets its own broker account, limited to its own exchange (write)
and listen queue (read): never the platform's credentials."""

from __future__ import annotations

import pika
import pika.exceptions as amqp
import pytest

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.connectors.model import ConnectorType, push_queue
from stixflow.connectors.schemas import ConnectorRegister
from stixflow.connectors.service import ConnectorService
from stixflow.runtime import Runtime


def test_connector_account_is_limited_to_its_queues(runtime: Runtime) -> None:
    if runtime.settings.is_embedded_broker:
        registered = ConnectorService(runtime, actor=LOCAL_ACTOR).register(
            ConnectorRegister(id="c1", name="c1", type=ConnectorType.EXTERNAL_IMPORT),
            user_id=None,
        )
        assert registered.coordinates.user == "" and registered.coordinates.password == ""
        return
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    coords = service.register(
        ConnectorRegister(id="c1", name="c1", type=ConnectorType.EXTERNAL_IMPORT), user_id=None
    ).coordinates
    assert coords.user.endswith("connector-c1") and coords.user != "guest"
    params = pika.ConnectionParameters(
        host=coords.host,
        port=coords.port,
        virtual_host=coords.vhost,
        credentials=pika.PlainCredentials(coords.user, coords.password),
    )
    with pika.BlockingConnection(params) as conn:
        chan = conn.channel()
        chan.confirm_delivery()
        chan.basic_publish(coords.push_exchange, coords.push_routing, b"{}")
        with pytest.raises(amqp.ChannelClosedByBroker, match="ACCESS_REFUSED"):
            chan.basic_publish("", "push_import", b"{}")  # someone else's queue
    with (
        pika.BlockingConnection(params) as conn,
        pytest.raises(amqp.ChannelClosedByBroker, match="ACCESS_REFUSED"),
    ):
        conn.channel().basic_get(coords.push)  # may not read its own push queue either
    assert runtime.queue.depth(push_queue("c1")) == 1
