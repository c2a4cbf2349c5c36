"""pycti's HTTP listen protocol (``CONNECTOR_LISTEN_PROTOCOL=API``): the connector registers a
``listen_callback_uri`` and the platform POSTs each job of its ``listen_<id>`` queue there, with
a bearer JWT the connector checks against the key set it got at registration
(``connectors.signing``). It is the only listen protocol on the embedded back end.

``CallbackCourier`` (a thread of ``stixflow serve``) runs one delivery loop per connector that
registered a callback URI: take a job, POST it, acknowledge it once the connector answered (pycti
answers after processing it; its answer is logged, a job is never sent twice), put it back when
the connector cannot be reached, drop it when its work has ended meanwhile (a reset of the
connector, which fails the works of the jobs it drops). The URI is an address the platform calls
on the connector's behalf: it obeys the outbound policy (``stixflow.net``: loopback and private
networks need ``STIXFLOW_OUTBOUND__ALLOW``).
"""

from __future__ import annotations

import logging
import threading

import httpx
import orjson

from stixflow.clock import now
from stixflow.connectors.model import listen_queue
from stixflow.connectors.signing import CallbackSigner
from stixflow.db.base import Database, Tx
from stixflow.errors import OutboundRefused
from stixflow.net.checks import Outbound
from stixflow.net.transport import guarded_client
from stixflow.pipeline.works import IN_PROGRESS, PENDING
from stixflow.queue.base import Delivery
from stixflow.runtime import Runtime

log = logging.getLogger("stixflow.connectors.callbacks")
SCAN_SECONDS = 1.0
RETRY_SECONDS = 5.0
ANSWER_TIMEOUT = 600.0  # pycti answers once the job is processed


class CallbackRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, tx: Tx, connector_id: str, uri: str | None) -> None:
        tx.execute("DELETE FROM connector_callbacks WHERE connector_id = ?", (connector_id,))
        if uri:
            tx.execute(
                "INSERT INTO connector_callbacks (connector_id, uri, updated_at) VALUES (?, ?, ?)",
                (connector_id, uri, now()),
            )

    def get(self, connector_id: str) -> str | None:
        with self.db.read() as tx:
            value = tx.scalar(
                "SELECT uri FROM connector_callbacks WHERE connector_id = ?", (connector_id,)
            )
        return None if value is None else str(value)

    def all(self) -> dict[str, str]:
        with self.db.read() as tx:
            rows = tx.fetchall(
                "SELECT c.connector_id, c.uri FROM connector_callbacks c "
                "JOIN connectors k ON k.id = c.connector_id"
            )
        return {str(row[0]): str(row[1]) for row in rows}


class CallbackCourier:
    """Delivers listen jobs to the connectors that asked for HTTP callbacks."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.signer = CallbackSigner(runtime.secrets)
        self._stop = threading.Event()
        self._loops: dict[str, threading.Thread] = {}
        self._thread = threading.Thread(target=self._run, name="callbacks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in [self._thread, *self._loops.values()]:
            if thread.is_alive():
                thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(SCAN_SECONDS):
            try:
                wanted = CallbackRecords(self.runtime.db).all()
            except Exception:  # keep scanning: the database may come back
                log.exception("reading connector callbacks failed")
                continue
            for connector_id in wanted:
                current = self._loops.get(connector_id)
                if current is None or not current.is_alive():
                    loop = threading.Thread(
                        target=self._deliver_loop, args=(connector_id,), daemon=True
                    )
                    self._loops[connector_id] = loop
                    loop.start()

    def _deliver_loop(self, connector_id: str) -> None:
        queue = listen_queue(connector_id)
        while not self._stop.is_set():
            uri = CallbackRecords(self.runtime.db).get(connector_id)
            if uri is None:
                return
            delivery = self.runtime.queue.receive([queue], timeout=1.0)
            if delivery is not None and not self.settle(connector_id, uri, delivery):
                self._stop.wait(RETRY_SECONDS)

    def settle(self, connector_id: str, uri: str, delivery: Delivery) -> bool:
        """Deliver one job taken from the queue; True when it left the queue: delivered, or
        dropped because its work has ended (a reset of the connector fails the works of the jobs
        it drops, this one too when the courier held it then). False: put back for later."""
        work_id = _work_of(delivery.body)
        # ended before the attempt, delivered, or ended while the connector was tried
        if (
            self._ended(work_id)
            or self.deliver(connector_id, uri, delivery.body)
            or self._ended(work_id)
        ):
            self.runtime.queue.ack(delivery)
            return True
        self.runtime.queue.release(delivery, delay=RETRY_SECONDS)
        return False

    def _ended(self, work_id: str | None) -> bool:
        """Whether the job's work is over: nothing will count what the connector would do."""
        work = None if work_id is None else self.runtime.works.get(work_id)
        if work is None or work.status in (PENDING, IN_PROGRESS):
            return False
        log.info("a job of work %s is dropped: the work ended (%s)", work_id, work.reason)
        return True

    def deliver(self, connector_id: str, uri: str, body: bytes) -> bool:
        """POST one job; False when the connector could not be reached (try again later)."""
        outbound = Outbound.background(self.runtime.settings)
        headers = {
            "Authorization": f"Bearer {self.signer.token(connector_id)}",
            "Content-Type": "application/json",
        }
        timeout = httpx.Timeout(ANSWER_TIMEOUT, connect=outbound.connect_timeout(10.0))
        try:
            with guarded_client(outbound.policy, headers=headers, timeout=timeout) as client:
                answer = client.post(uri, content=body)
        except (httpx.TransportError, OutboundRefused) as exc:
            log.warning("connector %s: cannot deliver a job to %s: %s", connector_id, uri, exc)
            return False
        if answer.status_code >= 300:
            log.warning("connector %s answered %s to a job", connector_id, answer.status_code)
        return True


def _work_of(body: bytes) -> str | None:
    """The work id a listen job carries (pycti's ``internal.work_id``), None without one."""
    try:
        work_id = orjson.loads(body)["internal"]["work_id"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return work_id if isinstance(work_id, str) else None
