"""The worker side of pycti's AMQP push: an OpenCTI message on ``push_<connector>`` becomes an
ordinary import message applied under the work the connector opened.

pycti counted one expectation per message (``addExpectations`` before publishing), so a message
holding n objects adds n - 1 more when applied (see ``worker.batch``). pycti's messages carry
no unique number: the worker records the digest of each one applied (``work_deliveries``), so
one redelivered after a crash between commit and ack is not counted twice.

A message on a registered connector's queue is written as that connector's user, whatever user
(pycti's ``applicant_id``, or none) it names: on RabbitMQ a connector publishes to its queue
itself, so what a message says of its writer is only what the connector says.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stixflow.connectors.opencti import decode_push
from stixflow.connectors.records import ConnectorRecords
from stixflow.pipeline.works import WorkStore
from stixflow.queue.message import ImportMessage
from stixflow.stix.bundle import normalize, write_order
from stixflow.stix.limits import too_deep

OPENCTI_KIND = "opencti"
PUSH_PREFIX = "push_"


def source_of_queue(queue: str) -> str:
    return queue[len(PUSH_PREFIX) :] if queue.startswith(PUSH_PREFIX) else queue


def _without_empty_lists(obj: dict[str, Any]) -> dict[str, Any]:
    """pycti's splitter leaves ``object_marking_refs: []`` when the marking is not in the
    bundle; STIX forbids empty lists (§3.1), OpenCTI ignores them: drop them."""
    return {key: value for key, value in obj.items() if value != []}


def import_message(queue: str, body: bytes, works: WorkStore) -> ImportMessage:
    """Raises InvalidBundle for a body that is not a usable OpenCTI push message."""
    push = decode_push(body)
    source = source_of_queue(queue)
    # objects too deep to normalise go as they are: the worker refuses them one by one
    deep, shallow = [], []
    for obj in push.objects:
        (deep if too_deep(obj) else shallow).append(obj)
    normalized = normalize([_without_empty_lists(obj) for obj in shallow])
    work_id = push.work_id
    if work_id is None:
        work_id = works.create(
            name=f"{source}: bundle", source=source, user_id=push.applicant_id, expected=1
        ).id
    return ImportMessage(
        work_id=work_id,
        seq=-1,
        source=source,
        objects=[*write_order(normalized.objects), *deep],
        user_id=push.applicant_id,
        aliases=normalized.aliases,
        kind=OPENCTI_KIND,
    )


def as_connector_user(
    records: ConnectorRecords, queue: str, message: ImportMessage
) -> ImportMessage:
    """``message`` written as the user of the connector whose queue it came from, if any."""
    return as_user(message, connector_user(records, queue))


def connector_user(records: ConnectorRecords, queue: str) -> str | None:
    """The user of the registered connector whose queue is ``queue`` (None: none, or no user)."""
    with records.db.read() as tx:
        connector = records.find(tx, source_of_queue(queue))
    return None if connector is None else connector.user_id


def as_user(message: ImportMessage, user_id: str | None) -> ImportMessage:
    if user_id is None or user_id == message.user_id:
        return message
    return replace(message, user_id=user_id)
