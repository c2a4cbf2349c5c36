"""The worker loop: receive, apply, ack; retry failures; dead-letter the persistent ones."""

from __future__ import annotations

import logging
import threading
import time

from stixflow.connectors.bridge import as_connector_user, import_message
from stixflow.connectors.opencti import is_push_message
from stixflow.connectors.records import ConnectorRecords
from stixflow.errors import InvalidBundle, StixflowError
from stixflow.logs import log_context
from stixflow.queue.base import Delivery
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.validate import default_validator
from stixflow.worker.heartbeat import HeartbeatWriter
from stixflow.worker.process import apply_message

log = logging.getLogger("stixflow.worker")

REFRESH_QUEUES_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 30.0


def backoff(attempts: int) -> float:
    return float(min(MAX_BACKOFF_SECONDS, 0.25 * 2 ** max(0, attempts - 1)))


class Worker:
    def __init__(self, runtime: Runtime, *, name: str = "worker") -> None:
        self.runtime = runtime
        self.name = name
        self.validator = default_validator()
        self.validator.compile_all()  # at start-up, not inside the first messages
        self.max_attempts = runtime.settings.worker.max_attempts
        self.connectors = ConnectorRecords(runtime.db, runtime.secrets)
        self._queues: list[str] = []
        self._queues_at = 0.0
        self.handled = 0

    def queues(self) -> list[str]:
        if time.monotonic() - self._queues_at > REFRESH_QUEUES_SECONDS or not self._queues:
            self._queues = self.runtime.registry.names()
            self._queues_at = time.monotonic()
        return self._queues

    def run(self, stop: threading.Event, *, poll: float = 1.0) -> None:
        log.info("%s started", self.name)
        heartbeat = HeartbeatWriter(self.runtime.db, self.name)
        try:
            while not stop.is_set():
                heartbeat.beat(self.handled)
                self.run_once(timeout=poll)
        finally:
            heartbeat.stop()
        log.info("%s stopped after %d messages", self.name, self.handled)

    def run_once(self, *, timeout: float = 1.0) -> bool:
        """Handle at most one message; False when none came within ``timeout``."""
        queues = self.queues()
        if not queues:
            time.sleep(timeout)
            self._queues_at = 0.0
            return False
        delivery = self.runtime.queue.receive(queues, timeout=timeout)
        if delivery is None:
            self._queues_at = 0.0
            return False
        self.handle(delivery)
        self.handled += 1
        return True

    def handle(self, delivery: Delivery) -> None:
        if delivery.attempts > self.max_attempts:
            self._dead_letter(delivery, f"gave up after {delivery.attempts - 1} deliveries")
            return
        try:
            message = self._decode(delivery)
        except InvalidBundle as exc:
            self._dead_letter(delivery, str(exc))
            return
        except StixflowError as exc:  # opening a pycti message's work: retry
            self._retry(delivery, exc)
            return
        except Exception as exc:  # what cannot be decoded now never will be: no retry
            log.exception("%s: undecodable message", self.name)
            self._dead_letter(delivery, f"undecodable: {type(exc).__name__}: {exc}")
            return
        with log_context(work_id=message.work_id, source=message.source):
            self._apply(delivery, message)

    def _apply(self, delivery: Delivery, message: ImportMessage) -> None:
        try:
            outcome = apply_message(self.runtime, message, self.validator)
        except StixflowError as exc:  # transient back-end errors included: retry, then dead-letter
            self._retry(delivery, exc)
            return
        except Exception as exc:  # a bug must not kill the worker: retry, then dead-letter
            log.exception("%s: unexpected error", self.name)
            self._retry(delivery, exc)
            return
        self.runtime.queue.ack(delivery)
        log.debug("%s: work %s chunk %d: %s", self.name, message.work_id, message.seq, outcome)

    def _decode(self, delivery: Delivery) -> ImportMessage:
        """Our own message, or pycti's push envelope on a connector's queue (written as the
        connector's user, ``as_connector_user``)."""
        if is_push_message(delivery.body):
            message = import_message(delivery.queue, delivery.body, self.runtime.works)
        else:
            message = ImportMessage.decode(delivery.body)
        return as_connector_user(self.connectors, delivery.queue, message)

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
