"""ConnectorService: every connector operation, for the REST API, the GraphQL surface and the
CLI. Capabilities are checked by the callers (``CONNECTORAPI`` to register, ping and push;
``CONNECTOR_STATE`` to reset and delete); changes are audited in their transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from stixflow.access import audit
from stixflow.access.audit import Actor
from stixflow.access.capabilities import Capability
from stixflow.connectors import broker
from stixflow.connectors.builtin import built_in_connectors
from stixflow.connectors.callbacks import CallbackRecords
from stixflow.connectors.model import Connector, ConnectorType, listen_queue, push_queue
from stixflow.connectors.records import ConnectorRecords
from stixflow.connectors.schemas import ConnectorOut, ConnectorRegister
from stixflow.errors import AccessDenied, BackendError, Conflict, InvalidInput, NotFound
from stixflow.pipeline.works import PENDING, Work, WorkViewer
from stixflow.runtime import Runtime

log = logging.getLogger("stixflow.connectors")
MAX_STATE_BYTES = 1024 * 1024
#: The reason an unfinished work of a reset connector ends with (shown as its error to pycti).
INTERRUPTED_BY_RESET = (
    "interrupted: the connector was reset (its queued messages were purged); "
    "its next run opens a new work"
)


@dataclass(frozen=True)
class Registered:
    connector: Connector
    coordinates: broker.Coordinates


def parse_state(text: str | None) -> dict[str, Any] | None:
    """The state as a dict; None when empty or not a JSON object (pycti's rule)."""
    if not text:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and value else None


def json_text(value: Any, what: str) -> str:
    """``value`` as JSON text, within ``MAX_STATE_BYTES`` (InvalidInput otherwise)."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError as exc:  # orjson.JSONEncodeError: e.g. an integer over 64 bits
        raise InvalidInput(f"{what} is not storable JSON: {exc}") from exc
    if len(text) > MAX_STATE_BYTES:
        raise InvalidInput(f"{what} is over {MAX_STATE_BYTES} bytes")
    return text


class ConnectorService:
    def __init__(self, runtime: Runtime, *, actor: Actor) -> None:
        self.runtime = runtime
        self.actor = actor
        self.records = ConnectorRecords(runtime.db, runtime.secrets)

    # -- reading -------------------------------------------------------------------------

    def _built_ins(self) -> list[Connector]:
        return built_in_connectors(self.runtime.db, self.runtime.secrets)

    def get(self, connector_id: str) -> Connector:
        for connector in self._built_ins():
            if connector.id == connector_id:
                return connector
        return self.records.get(connector_id)

    def list(self) -> list[Connector]:
        return [*self.records.list(), *self._built_ins()]

    def depth(self, connector: Connector) -> int:
        return sum(self.runtime.queue.depth(name) for name in connector.queues)

    def push_bytes(self, connector: Connector) -> int:
        """Bytes waiting on the connector's push queue (pycti's ``messages_size``: a connector
        with ``CONNECTOR_QUEUE_THRESHOLD`` set pauses above it). 0, with a warning, when the
        broker does not say (RabbitMQ without management API nor ``rabbitmqctl``)."""
        try:
            return self.runtime.queue.size_bytes(push_queue(connector.id))
        except BackendError as exc:
            log.warning("size of %s's queue unknown: %s", connector.id, exc)
            return 0

    def out(self, connector: Connector) -> ConnectorOut:
        alive = connector.alive(datetime.now(UTC), self.runtime.settings.connectors.alive_seconds)
        if connector.built_in:
            status = "running" if alive else "stopped"
        else:
            status = "alive" if alive else "dead"
        return ConnectorOut(
            id=connector.id,
            name=connector.name,
            type=connector.type,
            scope=connector.scope,
            auto=connector.auto,
            user_id=connector.user_id,
            built_in=connector.built_in,
            status=status,
            last_seen_at=connector.last_seen_at,
            last_run=connector.last_run,
            next_run=connector.next_run,
            queue_depth=self.depth(connector),
            state=parse_state(connector.state),
            state_updated_at=connector.state_updated_at,
            created_at=connector.created_at,
            updated_at=connector.updated_at,
        )

    def works(self, connector_id: str, *, limit: int = 50) -> list[Work]:
        """The connector's latest works the actor may see (``WorkViewer``)."""
        self.get(connector_id)
        return self.runtime.works.list(source=connector_id, limit=limit, viewer=self.work_viewer)

    @property
    def work_viewer(self) -> WorkViewer:
        return WorkViewer(self.actor.user_id, sees_all=self.actor.is_admin)

    # -- registering and living ----------------------------------------------------------

    def register(self, spec: ConnectorRegister, *, user_id: str | None) -> Registered:
        """Create or update the connector, declare its queues, give it its broker account."""
        if any(c.id == spec.id for c in self._built_ins()):
            raise Conflict(f"{spec.id} is a built-in connector")
        settings = self.runtime.settings
        with self.runtime.db.transaction() as tx:
            self._check_registrant(tx, spec.id, user_id)
            connector = self.records.save(
                tx,
                connector_id=spec.id,
                name=spec.name,
                type=spec.type,
                scope=spec.scope,
                auto=spec.auto,
                only_contextual=spec.only_contextual,
                user_id=user_id,
            )
            self._audit(tx, "connector.registered", spec.id, spec.name)
        self.runtime.registry.ensure(self.runtime.queue, spec.id)
        self.runtime.queue.declare(listen_queue(spec.id))
        if not settings.is_embedded_broker:
            broker.declare_routes(settings, spec.id)
            connector = self._broker_account(connector)
        return Registered(
            connector,
            broker.coordinates(
                settings, spec.id, user=connector.broker_user, secret=connector.broker_secret
            ),
        )

    def _check_registrant(self, tx: Any, connector_id: str, user_id: str | None) -> None:
        """A connector is registered again by its own user (or an administrator) only: the
        registration answers with its broker account."""
        current = self.records.find(tx, connector_id)
        if current is None or current.user_id in (None, user_id) or self.actor.is_admin:
            return
        raise AccessDenied(
            Capability.CONNECTORAPI, f"connector {connector_id} is registered by another user"
        )

    def _broker_account(self, connector: Connector) -> Connector:
        if connector.broker_user:
            return connector
        accounts = broker.accounts_for(self.runtime.settings)
        if accounts is None:
            log.warning(
                "no way to create a broker account for %s: HTTP protocol only", connector.id
            )
            return connector
        user = broker.broker_user(self.runtime.settings, connector.id)
        secret = broker.new_secret()
        vhost = broker.coordinates(
            self.runtime.settings, connector.id, user=None, secret=None
        ).vhost
        grants = broker.permissions(self.runtime.settings, connector.id)
        accounts.ensure(user, secret, vhost=vhost, grants=grants)
        with self.runtime.db.transaction() as tx:
            self.records.set_broker_account(tx, connector.id, user, secret)
        connector.broker_user, connector.broker_secret = user, secret
        return connector

    def ping(
        self, connector_id: str, *, state: str | None, info: dict[str, Any] | None = None
    ) -> tuple[Connector, bool]:
        """Heartbeat with the connector's state (ignored, once, after a reset)."""
        if state is not None and len(state) > MAX_STATE_BYTES:
            raise InvalidInput(f"state is over {MAX_STATE_BYTES} bytes")
        self._operated(connector_id)
        with self.runtime.db.transaction() as tx:
            return self.records.ping(tx, connector_id, state=state, info=info)

    def set_state(
        self, connector_id: str, state: dict[str, Any] | None, info: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any] | None, bool]:
        text = json_text(state, "state") if state else ""
        json_text(info, "info")
        connector, was_reset = self.ping(connector_id, state=text, info=info)
        return parse_state(connector.state), was_reset

    # -- reset and delete ----------------------------------------------------------------

    def reset_preview(self, connector_id: str) -> int:
        """How many queued messages a reset would purge now."""
        return self.depth(self._own(connector_id))

    def reset(self, connector_id: str) -> int:
        """Clear the state (the running connector adopts it on its next ping and starts again
        from its start date) and purge its queues; return how many messages were purged."""
        connector = self._own(connector_id)
        dropped_jobs = self.runtime.queue.purge(listen_queue(connector.id))
        dropped_jobs += self._held_by_courier(connector)
        purged = dropped_jobs + self.runtime.queue.purge(push_queue(connector.id))
        self._close_dropped_jobs(connector, dropped_jobs)  # before the rest end, with its reason
        with self.runtime.db.transaction() as tx:
            self.records.reset(tx, connector_id, actor_id=self.actor.user_id, purged=purged)
            self.runtime.works.interrupt_source(tx, connector_id, INTERRUPTED_BY_RESET)
            self._audit(
                tx, "connector.state_reset", connector_id, f"purged {purged} queued messages"
            )
        return purged

    def _held_by_courier(self, connector: Connector) -> int:
        """Jobs a purge leaves because they are in flight: for a connector that takes its jobs
        over HTTP callbacks, those the courier holds while it tries to reach the connector. They
        are still waiting for it: counted as dropped, their works fail below, and the courier
        drops a job whose work has ended instead of putting it back."""
        if CallbackRecords(self.runtime.db).get(connector.id) is None:
            return 0
        return self.runtime.queue.depth(listen_queue(connector.id))

    def _close_dropped_jobs(self, connector: Connector, count: int) -> None:
        """The works of the ``count`` listen jobs a reset dropped fail with the reason, rather
        than wait forever: the newest works the connector never started (the queue is first
        in, first out, so the dropped jobs are the newest)."""
        if count == 0:
            return
        found = self.runtime.works.list(source=connector.id, limit=max(count * 2, 100))
        untouched = [w for w in found if w.status == PENDING and w.expected == 0 and w.done == 0]
        reason = f"dropped by a reset of {connector.name} before the connector took it"
        for work in untouched[:count]:
            self.runtime.works.fail(
                work.id, reason, only_if="expected = 0 AND processed + failed = 0"
            )

    def delete(self, connector_id: str) -> None:
        connector = self._own(connector_id)
        for name in connector.queues:
            self.runtime.queue.delete(name)
        self.runtime.registry.forget(self.runtime.queue, connector_id)
        settings = self.runtime.settings
        if not settings.is_embedded_broker:
            broker.delete_routes(settings, connector_id)
            accounts = broker.accounts_for(settings)
            if accounts is not None and connector.broker_user:
                accounts.remove(connector.broker_user)
        with self.runtime.db.transaction() as tx:
            self.records.delete(tx, connector_id)
            self._audit(tx, "connector.deleted", connector_id, connector.name)

    def _own(self, connector_id: str) -> Connector:
        """A registered (not built-in) connector."""
        if any(c.id == connector_id for c in self._built_ins()):
            raise Conflict(
                f"{connector_id} is a built-in connector: reset or delete it as an ingester"
            )
        return self.records.get(connector_id)

    # -- works and data ------------------------------------------------------------------

    def _operated(self, connector_id: str) -> Connector:
        """A registered connector the actor runs: its own user (who registered it), or an
        administrator. Pings, state, works and pushes of another user's connector are refused:
        its data would be written with that user's rights."""
        connector = self.records.get(connector_id)
        if self.actor.is_admin or (
            connector.user_id is not None and connector.user_id == self.actor.user_id
        ):
            return connector
        raise AccessDenied(
            Capability.CONNECTORAPI, f"connector {connector_id} is run by another user"
        )

    def open_work(self, connector_id: str, *, name: str, multipart: bool = False) -> Work:
        connector = self._operated(connector_id)
        return self.runtime.works.open(
            name=name,
            source=connector.id,
            user_id=connector.user_id or self.actor.user_id,
            multipart=multipart,
        )

    def work_of(self, work_id: str) -> Work:
        """A work the actor may see (NotFound otherwise)."""
        work = self.runtime.works.get(work_id, viewer=self.work_viewer)
        if work is None:
            raise NotFound(f"no work {work_id}")
        return work

    def push(
        self,
        connector_id: str,
        objects: Sequence[dict[str, Any]],
        *,
        work_id: str | None,
        default_markings: Sequence[str] = (),
    ) -> Work:
        """The HTTP queue protocol: queue a bundle on the connector's push queue, counted on
        ``work_id`` (a work it opened) or on a new work."""
        connector = self._operated(connector_id)
        if work_id is not None and self.work_of(work_id).source != connector.id:
            raise Conflict(f"work {work_id} does not belong to connector {connector_id}")
        return self.runtime.submitter.submit(
            objects,
            name=f"{connector.name}: bundle of {len(objects)} objects",
            source=connector.id,
            user_id=connector.user_id or self.actor.user_id,
            default_markings=default_markings,
            work_id=work_id,
        )

    def _audit(self, tx: Any, action: str, target: str, detail: str = "") -> None:
        audit.record_by(
            tx,
            self.actor,
            action,
            target=target,
            detail=detail,
        )


__all__ = ["ConnectorService", "ConnectorType", "Registered", "parse_state"]
