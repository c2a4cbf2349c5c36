"""The worker loop: receive a batch, apply it in one transaction, ack; when the batch fails,
apply its messages one by one; retry failures; dead-letter the persistent ones."""

from __future__ import annotations

import logging
import threading
import time

from stixflow.connectors.bridge import as_user, connector_user, import_message
from stixflow.connectors.opencti import is_push_message
from stixflow.connectors.records import ConnectorRecords
from stixflow.db.base import Tx
from stixflow.errors import InvalidBundle, StixflowError, TransientBackendError
from stixflow.logs import log_context
from stixflow.queue.base import Delivery
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.validate import default_validator
from stixflow.worker.batch import Pending, apply_batch, apply_message
from stixflow.worker.heartbeat import HeartbeatWriter

log = logging.getLogger("stixflow.worker")

REFRESH_QUEUES_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 30.0
#: pauses after a lost connection before the worker goes on (doubling up to the maximum)
RECONNECT_PAUSE = 0.5
MAX_RECONNECT_PAUSE = 10.0


def backoff(attempts: int) -> float:
    return float(min(MAX_BACKOFF_SECONDS, 0.25 * 2 ** max(0, attempts - 1)))


class Worker:
    def __init__(self, runtime: Runtime, *, name: str = "worker") -> None:
        self.runtime = runtime
        self.name = name
        self.validator = default_validator()
        self.validator.compile_all()  # at start-up, not inside the first messages
        self.max_attempts = runtime.settings.worker.max_attempts
        self.batch_messages = runtime.settings.worker.batch_messages
        self.batch_objects = runtime.settings.worker.batch_objects
        self.connectors = ConnectorRecords(runtime.db, runtime.secrets)
        self._queues: list[str] = []
        self._queues_at = 0.0
        self._users: dict[str, str | None] = {}  # queue -> its connector's user, refreshed too
        self.handled = 0

    def queues(self) -> list[str]:
        if time.monotonic() - self._queues_at > REFRESH_QUEUES_SECONDS or not self._queues:
            self._queues = self.runtime.registry.names()
            self._queues_at = time.monotonic()
            self._users.clear()
        return self._queues

    def run(self, stop: threading.Event, *, poll: float = 1.0) -> None:
        log.info("%s started", self.name)
        heartbeat = HeartbeatWriter(self.runtime.db, self.name)
        try:
            pause = RECONNECT_PAUSE
            while not stop.is_set():
                heartbeat.beat(self.handled)
                try:
                    self.run_once(timeout=poll)
                except TransientBackendError as exc:
                    # a lost broker or database connection: what was not acked comes again
                    log.warning("%s: %s; going on in %.1f s", self.name, exc, pause)
                    stop.wait(pause)
                    pause = min(pause * 2, MAX_RECONNECT_PAUSE)
                else:
                    pause = RECONNECT_PAUSE
        finally:
            heartbeat.stop()
        log.info("%s stopped after %d messages", self.name, self.handled)

    def run_once(self, *, timeout: float = 1.0) -> bool:
        """Handle one batch of messages; False when none came within ``timeout``."""
        queues = self.queues()
        if not queues:
            time.sleep(timeout)
            self._queues_at = 0.0
            return False
        deliveries = self.runtime.queue.receive_many(
            queues, limit=self.batch_messages, timeout=timeout
        )
        if not deliveries:
            self._queues_at = 0.0
            return False
        ready = [(d, p) for d in deliveries if (p := self._prepare(d)) is not None]
        for batch in self._split(ready):
            self._apply_batch(batch)
            self.runtime.queue.keepalive()
        self.handled += len(deliveries)
        return True

    def handle(self, delivery: Delivery) -> None:
        """Handle one message on its own."""
        pending = self._prepare(delivery)
        if pending is not None:
            self._apply(delivery, pending)

    def _prepare(self, delivery: Delivery) -> Pending | None:
        """The decoded message; None when it was dead-lettered or released for a retry."""
        if delivery.attempts > self.max_attempts:
            self._dead_letter(delivery, f"gave up after {delivery.attempts - 1} deliveries")
            return None
        try:
            return self._decode(delivery)
        except InvalidBundle as exc:
            self._dead_letter(delivery, str(exc))
        except StixflowError as exc:  # opening a pycti message's work: retry
            self._retry(delivery, exc)
        except Exception as exc:  # what cannot be decoded now never will be: no retry
            log.exception("%s: undecodable message", self.name)
            self._dead_letter(delivery, f"undecodable: {type(exc).__name__}: {exc}")
        return None

    def _split(self, ready: list[tuple[Delivery, Pending]]) -> list[list[tuple[Delivery, Pending]]]:
        """Consecutive runs of at most ``batch_objects`` objects (at least one message each)."""
        batches: list[list[tuple[Delivery, Pending]]] = []
        size = 0
        for entry in ready:
            count = len(entry[1].message.objects) + len(entry[1].message.deletions)
            if not batches or size + count > self.batch_objects:
                batches.append([])
                size = 0
            batches[-1].append(entry)
            size += count
        return batches

    def _apply_batch(self, batch: list[tuple[Delivery, Pending]]) -> None:
        if len(batch) == 1:
            self._apply(*batch[0])
            return
        deliveries = [delivery for delivery, _ in batch]
        acked = _AckWithin(self.runtime, deliveries)
        try:
            outcome = apply_batch(
                self.runtime,
                [pending for _, pending in batch],
                self.validator,
                before_commit=acked,
            )
        except Exception as exc:  # transient or not: each message on its own decides
            log.warning(
                "%s: a batch of %d messages failed (%s: %s): one by one now",
                self.name,
                len(batch),
                type(exc).__name__,
                exc,
            )
            for delivery, pending in batch:
                self._apply(delivery, pending)
            return
        if not acked.done:
            self.runtime.queue.ack_many(deliveries)
        log.debug("%s: batch of %d messages: %s", self.name, len(batch), outcome)

    def _apply(self, delivery: Delivery, pending: Pending) -> None:
        message = pending.message
        with log_context(work_id=message.work_id, source=message.source):
            acked = _AckWithin(self.runtime, [delivery])
            try:
                outcome = apply_message(
                    self.runtime,
                    message,
                    self.validator,
                    body=pending.body,
                    redelivered=pending.redelivered,
                    before_commit=acked,
                )
            except StixflowError as exc:  # transient back-end errors included: retry, then DLQ
                self._retry(delivery, exc)
                return
            except Exception as exc:  # a bug must not kill the worker: retry, then dead-letter
                log.exception("%s: unexpected error", self.name)
                self._retry(delivery, exc)
                return
            if not acked.done:
                self.runtime.queue.ack(delivery)
            log.debug("%s: work %s chunk %d: %s", self.name, message.work_id, message.seq, outcome)

    def _decode(self, delivery: Delivery) -> Pending:
        """Our own message, or pycti's push envelope on a connector's queue (kept whole: its
        digest marks it applied); written as the connector's user, if the queue is one's."""
        if is_push_message(delivery.body):
            message = import_message(delivery.queue, delivery.body, self.runtime.works)
            pending = Pending(message, delivery.body, redelivered=delivery.attempts > 1)
        else:
            pending = Pending(ImportMessage.decode(delivery.body))
        if delivery.queue not in self._users:
            self._users[delivery.queue] = connector_user(self.connectors, delivery.queue)
        pending.message = as_user(pending.message, self._users[delivery.queue])
        return pending

    def _retry(self, delivery: Delivery, exc: Exception) -> None:
        if delivery.attempts >= self.max_attempts:
            self._dead_letter(delivery, f"{type(exc).__name__}: {exc}")
            return
        delay = backoff(delivery.attempts)
        log.warning("%s: retry in %.2fs after %s", self.name, delay, exc)
        self.runtime.queue.release(delivery, delay=delay)

    def _dead_letter(self, delivery: Delivery, reason: str) -> None:
        log.error("%s: dead letter from %s: %s", self.name, delivery.queue, reason)
        self.runtime.dead_letters.add(
            queue=delivery.queue, body=delivery.body, reason=reason, attempts=delivery.attempts
        )
        self.runtime.queue.ack(delivery)


class _AckWithin:
    """Acks deliveries inside the transaction that applies them, where the broker can
    (``Queue.ack_within``: the embedded one); ``done`` says whether it did."""

    def __init__(self, runtime: Runtime, deliveries: list[Delivery]) -> None:
        self.runtime = runtime
        self.deliveries = deliveries
        self.done = False

    def __call__(self, tx: Tx) -> None:
        self.done = self.runtime.queue.ack_within(self.runtime.db, tx, self.deliveries)
