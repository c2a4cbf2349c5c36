"""Enrichment jobs (spec §9.1, §9.5 listen side): an object goes to an enrichment connector's
``listen_<id>`` queue as an OpenCTI listen message, under a new work; what the connector sends
back with that work id is ingested under the same work.

A job is queued when a user asks (``stixflow enrich``, ``POST /api/connectors/{id}/enrich``)
or, for automatic connectors, when an object of their scope is created: the dispatcher follows
the event log (``stream_events``) from where it stopped, starting at its end on first run.
Connectors read jobs over AMQP (pycti) or over HTTP (``GET /api/connectors/{id}/jobs``).

A job carries the object as the connector's user may read it (granular markings cut); an object
that user may not see is never sent (a request for it is refused, the dispatcher skips it), and
a requester may only ask for objects they may see themselves.

Each job is remembered (``enrichment_jobs``: work, object, connector): what the connector sends
back about that object under that work is its enrichment, which the worker lets win over the
stored copy on equal ``modified`` (``enriched_object``; merge rules in docs/pipeline.md).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import orjson

from stixflow.access.audit import Actor
from stixflow.access.principal import principal_of
from stixflow.connectors.entity_types import names_of
from stixflow.connectors.model import Connector, ConnectorType, listen_queue
from stixflow.connectors.opencti import listen_job
from stixflow.connectors.records import ConnectorRecords
from stixflow.db.base import Tx
from stixflow.errors import Conflict, InvalidInput, NotFound
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime
from stixflow.store import events
from stixflow.store.base import Access
from stixflow.store.visibility import readable

log = logging.getLogger("stixflow.connectors.enrichment")
CURSOR = "enrichment"
DISPATCH_SECONDS = 2.0


def in_scope(connector: Connector, obj: dict[str, Any]) -> bool:
    """Scope entries are entity types, compared case-insensitively with the object's STIX type
    (``ipv4-addr``) and its OpenCTI name (``IPv4-Addr``, ``StixFile``, ``Organization``)."""
    return bool(names_of(obj) & {entry.lower() for entry in connector.scope})


def enrichers_for(runtime: Runtime, obj: dict[str, Any]) -> list[Connector]:
    """The enrichment connectors whose scope takes ``obj`` (what *Enrich* offers)."""
    return [
        c
        for c in ConnectorRecords(runtime.db, runtime.secrets).list()
        if c.type == ConnectorType.INTERNAL_ENRICHMENT and in_scope(c, obj)
    ]


def request_enrichment(
    runtime: Runtime,
    actor: Actor,
    object_id: str,
    connector_id: str,
    *,
    access: Access | None = None,
) -> Work:
    """Queue one enrichment job for an object ``access`` (the requester's; default: everything)
    may see; return the work the connector's answer will count on."""
    connector = ConnectorRecords(runtime.db, runtime.secrets).get(connector_id)
    if connector.type != ConnectorType.INTERNAL_ENRICHMENT:
        raise Conflict(f"{connector_id} is not an enrichment connector")
    stored = runtime.store.get(object_id, access=access or Access.everything())
    if stored is None:
        raise NotFound(f"no object {object_id}")
    if not in_scope(connector, stored.data):
        raise InvalidInput(f"{stored.data.get('type')} is not in the scope of {connector_id}")
    entity = runtime.store.get(stored.data["id"], access=connector_access(runtime, connector))
    if entity is None:
        raise Conflict(f"{connector_id} may not read {object_id} (its markings)")
    return _queue_job(runtime, connector, entity.data, applicant_id=actor.user_id)


def connector_access(runtime: Runtime, connector: Connector) -> Access:
    """What a connector may read: its user's markings (everything without a user)."""
    if connector.user_id is None:
        return Access.everything()
    with runtime.db.read() as tx:
        return principal_of(tx, connector.user_id).access


def _queue_job(
    runtime: Runtime, connector: Connector, entity: dict[str, Any], *, applicant_id: str | None
) -> Work:
    work = runtime.works.open(
        name=f"Enrichment of {entity['id']}",
        source=connector.id,
        user_id=applicant_id or connector.user_id,
        multipart=False,
    )
    with runtime.db.transaction() as tx:
        tx.execute(
            "INSERT INTO enrichment_jobs (work_id, object_id, connector_id) VALUES (?, ?, ?)",
            (work.id, entity["id"], connector.id),
        )
    body = listen_job(work_id=work.id, applicant_id=connector.user_id, entity=entity)
    runtime.queue.publish(listen_queue(connector.id), body)
    return work


def enriched_object(tx: Tx, work_id: str, source: str) -> str | None:
    """The object whose enrichment ``work_id`` is, when ``source`` is the connector that was
    asked for it (None: not an enrichment work, or another source writing under it)."""
    found = tx.scalar(
        "SELECT object_id FROM enrichment_jobs WHERE work_id = ? AND connector_id = ?",
        (work_id, source),
    )
    return None if found is None else str(found)


def next_job(runtime: Runtime, connector_id: str, *, wait: float) -> dict[str, Any] | None:
    """The HTTP listen protocol: take the next job (acknowledged at once, as pycti does)."""
    ConnectorRecords(runtime.db, runtime.secrets).get(connector_id)
    delivery = runtime.queue.receive([listen_queue(connector_id)], timeout=wait)
    if delivery is None:
        return None
    runtime.queue.ack(delivery)
    job: dict[str, Any] = orjson.loads(delivery.body)
    return job


def dispatch_created(runtime: Runtime, *, limit: int = 500) -> int:
    """Queue jobs for objects created since the last call; return how many were queued."""
    automatic = [
        c
        for c in ConnectorRecords(runtime.db, runtime.secrets).list()
        if c.type == ConnectorType.INTERNAL_ENRICHMENT and c.auto and c.scope
    ]
    position = _cursor(runtime)
    found = events.read_after(runtime.db, position, limit=limit)
    queued = 0
    readers = {connector.id: connector_access(runtime, connector) for connector in automatic}
    for event in found:
        if event.kind != events.CREATE:
            continue
        for connector in automatic:
            if not in_scope(connector, event.data) or event.source == connector.id:
                continue
            entity = readable(event.data, readers[connector.id])
            if entity is not None:
                _queue_job(runtime, connector, entity, applicant_id=connector.user_id)
                queued += 1
    if found:
        _save_cursor(runtime, found[-1].seq)
    return queued


def _cursor(runtime: Runtime) -> int:
    with runtime.db.read() as tx:
        value = tx.scalar("SELECT position FROM connector_cursors WHERE name = ?", (CURSOR,))
    if value is not None:
        return int(value)
    start = events.last_seq(runtime.db)
    _save_cursor(runtime, start)
    return start


def _save_cursor(runtime: Runtime, position: int) -> None:
    with runtime.db.transaction() as tx:
        tx.execute(
            "INSERT INTO connector_cursors (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (CURSOR, position),
        )


class EnrichmentDispatcher:
    """A thread of ``stixflow serve`` that runs ``dispatch_created`` every few seconds."""

    def __init__(self, runtime: Runtime, *, interval: float = DISPATCH_SECONDS) -> None:
        self.runtime = runtime
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="enrichment", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                dispatch_created(self.runtime)
            except Exception:  # keep dispatching: log, the cursor did not move
                log.exception("enrichment dispatch failed")
