"""The RabbitMQ back end of the queue interface, over pika's ``BlockingConnection``.

How the shared semantics of :mod:`stixflow.queue.base` are kept:

- Durability: queues are durable, messages persistent (``delivery_mode=2``) and the channel is
  in publisher-confirm mode, so ``publish`` returns once the broker has taken the message.
- Delivery: ``receive`` uses ``basic.get`` with manual ack, trying the named queues in turn from
  where the last hit left off (no queue starves) and polling with a growing pause (5 ms → 200 ms)
  while all are empty. Nothing is prefetched, so no message sits unseen in a client buffer; an
  unacked message goes back to its queue when the connection or channel closes.
- Batches: ``receive_many`` consumes instead (``basic.consume`` on each named queue, with
  ``basic.qos`` prefetch = the batch size per queue), so a worker gets a batch without one
  round trip per message. What the broker pushed ahead sits unacked in this instance's buffer,
  invisible to other consumers, and goes back to its queue if the connection closes. A worker
  that uses ``receive_many`` should not mix it with ``receive`` on the same queues.
- Attempts: classic queues do not count deliveries, so the count travels in the
  ``x-stixflow-attempts`` header, raised by ``release``. A delivery the broker flags
  ``redelivered`` (its consumer died) counts one more; several crashes in a row count once.
- Release: publish a copy (confirmed), then ack the original. A crash in between gives a
  duplicate, never a loss (workers are idempotent).
- Delay: a released message goes to ``<queue>.delay.<ms>``, a quorum queue whose message TTL is
  the delay and which dead-letters (at-least-once) back to the queue. Delays are rounded up to
  two significant digits in milliseconds, so retries share a few such queues; each expires
  five minutes after its TTL once unused. Needs RabbitMQ 3.10 or newer.

Limitations: ``depth`` is ready messages plus the deliveries *this instance* holds unacked
(the broker does not report other consumers' unacked count over AMQP), and neither ``depth`` nor
``purge`` sees messages waiting out a delay. Heartbeats are answered only inside calls: keep
the handling of one message under the heartbeat interval, or set ``heartbeat=`` in the URL.
"""

from __future__ import annotations

import functools
import math
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from urllib.parse import parse_qs, urlsplit

import pika
import pika.exceptions as amqp
from pika.adapters.blocking_connection import BlockingChannel

from stixflow.errors import BackendError, TransientBackendError
from stixflow.queue.base import Delivery, Queue
from stixflow.queue.rabbitmq_bytes import QueueBytes

ATTEMPTS_HEADER = "x-stixflow-attempts"
_PERSISTENT = 2
_MIN_PAUSE = 0.005
_MAX_PAUSE = 0.2
_DELAY_QUEUE_IDLE_MS = 300_000
_BLOCKED_TIMEOUT = 60.0
_FATAL_CONNECT = (
    amqp.AuthenticationError
    | amqp.ProbableAuthenticationError
    | amqp.ProbableAccessDeniedError
    | amqp.IncompatibleProtocolError
)


class RabbitMQQueue(Queue):
    """Queues on a RabbitMQ broker, names prefixed with ``prefix``.

    One instance per thread: pika's blocking connection is not thread-safe. A lost connection
    raises :class:`TransientBackendError`; the next call reconnects. Deliveries received before
    the loss are already back in their queue: ``ack`` of one raises, ``release`` does nothing.
    """

    def __init__(self, url: str, *, prefix: str = "") -> None:
        self._params = _connection_parameters(url)
        self._where = f"{self._params.host}:{self._params.port}"
        self._prefix = prefix
        self._conn: pika.BlockingConnection | None = None
        self._chan: BlockingChannel | None = None
        self._generation = 0
        self._declared: set[str] = set()
        self._unacked: Counter[str] = Counter()
        self._delay_queues: dict[str, set[str]] = {}
        self._turn = 0
        self._consumers: dict[str, str] = {}  # queue -> consumer tag, on the current channel
        self._buffer: list[Delivery] = []  # pushed by the broker, not handed out yet
        self._prefetch = 0
        self._outstanding: set[int] = set()  # delivery tags not settled, current channel
        self._bytes = QueueBytes(url)

    def declare(self, queue: str) -> None:
        with self._guard() as chan:
            self._ensure(chan, queue)

    def publish(self, queue: str, body: bytes) -> None:
        with self._guard() as chan:
            self._publish(chan, self._ensure(chan, queue), body, attempts=0)

    def receive(self, queues: Sequence[str], *, timeout: float) -> Delivery | None:
        names = list(queues)
        deadline = time.monotonic() + timeout
        pause = _MIN_PAUSE
        while True:
            delivery = self._poll(names)
            remaining = deadline - time.monotonic()
            if delivery is not None or remaining <= 0:
                return delivery
            with self._guard() as chan:
                chan.connection.sleep(min(pause, remaining))
            pause = min(pause * 2, _MAX_PAUSE)

    def receive_many(self, queues: Sequence[str], *, limit: int, timeout: float) -> list[Delivery]:
        names = list(queues)
        deadline = time.monotonic() + timeout
        with self._guard() as chan:
            self._consume(chan, names, max(1, limit))
            while not self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                chan.connection.process_data_events(time_limit=min(remaining, _MAX_PAUSE))
            chan.connection.process_data_events(time_limit=0)  # what else is ready now
        taken, self._buffer = self._buffer[:limit], self._buffer[limit:]
        return taken

    def keepalive(self) -> None:
        """Read what the broker pushed ahead into this instance's buffer and answer its
        heartbeats: a worker busy with a large batch otherwise leaves them in the socket, and the
        broker, unable to write for ``send_timeout``, closes the connection."""
        if self._conn is None or not self._conn.is_open:
            return
        with self._guard() as chan:
            chan.connection.process_data_events(time_limit=0)

    def ack_many(self, deliveries: Sequence[Delivery]) -> None:
        """One ``basic.ack`` with ``multiple`` when the deliveries are exactly every one still
        unsettled up to the highest of them (a worker's batch, acked in order); else one each."""
        tags = {delivery.tag[1] for delivery in deliveries}
        if not tags or not all(self._holds(d) for d in deliveries):
            for delivery in deliveries:
                self.ack(delivery)
            return
        top = max(tags)
        if {tag for tag in self._outstanding if tag <= top} != tags:
            for delivery in deliveries:
                self.ack(delivery)
            return
        with self._guard() as chan:
            chan.basic_ack(top, multiple=True)
        self._outstanding -= tags
        for delivery in deliveries:
            self._unacked[delivery.queue] -= 1

    def ack(self, delivery: Delivery) -> None:
        if not self._holds(delivery):
            raise TransientBackendError(
                f"connection lost since {delivery.queue!r} delivered this message; "
                "it went back to the queue"
            )
        with self._guard() as chan:
            chan.basic_ack(delivery.tag[1])
        self._outstanding.discard(delivery.tag[1])
        self._unacked[delivery.queue] -= 1

    def release(self, delivery: Delivery, *, delay: float = 0.0) -> None:
        if not self._holds(delivery):
            return  # the broker requeued it when the connection dropped
        with self._guard() as chan:
            target = self._ensure(chan, delivery.queue)
            if delay > 0:
                target = self._declare_delay(chan, delivery.queue, _delay_ms(delay))
            self._publish(chan, target, delivery.body, attempts=delivery.attempts)
            chan.basic_ack(delivery.tag[1])
        self._outstanding.discard(delivery.tag[1])
        self._unacked[delivery.queue] -= 1

    def purge(self, queue: str) -> int:
        with self._guard() as chan:
            frame = chan.queue_purge(self._ensure(chan, queue))
        return int(frame.method.message_count)

    def depth(self, queue: str) -> int:
        with self._guard() as chan:
            frame = chan.queue_declare(self._name(queue), durable=True)
        self._declared.add(queue)
        return int(frame.method.message_count) + self._unacked[queue]

    def size_bytes(self, queue: str) -> int:
        """From the management API or ``rabbitmqctl`` (``queue.rabbitmq_bytes``), a few seconds
        old at most; raises BackendError when neither answers."""
        return self._bytes.of(self._name(queue))

    def delete(self, queue: str) -> None:
        with self._guard() as chan:
            tag = self._consumers.pop(queue, None)
            if tag is not None:
                chan.basic_cancel(tag)
            for name in sorted(self._delay_queues.pop(queue, set())):
                chan.queue_delete(name)
            chan.queue_delete(self._name(queue))
        self._declared.discard(queue)
        self._unacked.pop(queue, None)

    def close(self) -> None:
        conn = self._forget()
        if conn is None or not conn.is_open:
            return
        try:
            conn.close()
        except (amqp.AMQPError, OSError) as exc:
            raise _translate(exc, self._where) from exc

    # -- internals -------------------------------------------------------------------------

    def _name(self, queue: str) -> str:
        return f"{self._prefix}{queue}"

    def _holds(self, delivery: Delivery) -> bool:
        return self._chan is not None and delivery.tag[0] == self._generation

    @contextmanager
    def _guard(self) -> Iterator[BlockingChannel]:
        """Yield a live channel; translate pika errors, dropping a connection they broke."""
        try:
            yield self._channel()
        except (amqp.AMQPError, OSError) as exc:
            if not (self._conn and self._conn.is_open and self._chan and self._chan.is_open):
                self._drop()
            raise _translate(exc, self._where) from exc

    def _channel(self) -> BlockingChannel:
        if self._conn is not None and self._conn.is_open and self._chan and self._chan.is_open:
            return self._chan
        self._drop()
        self._conn = pika.BlockingConnection(self._params)
        self._chan = self._conn.channel()
        self._chan.confirm_delivery()
        self._generation += 1
        return self._chan

    def _forget(self) -> pika.BlockingConnection | None:
        """Detach the connection; the broker requeues whatever it had delivered on it."""
        conn, self._conn, self._chan = self._conn, None, None
        self._declared.clear()
        self._unacked.clear()
        self._consumers.clear()
        self._buffer.clear()
        self._prefetch = 0
        self._outstanding.clear()
        return conn

    def _drop(self) -> None:
        conn = self._forget()
        if conn is not None and conn.is_open:
            # Already broken and being discarded: the caller gets the error that broke it.
            with suppress(amqp.AMQPError, OSError):
                conn.close()

    def _ensure(self, chan: BlockingChannel, queue: str) -> str:
        name = self._name(queue)
        if queue not in self._declared:
            chan.queue_declare(name, durable=True)
            self._declared.add(queue)
        return name

    def _declare_delay(self, chan: BlockingChannel, queue: str, delay_ms: int) -> str:
        """Declare (every time: this resets its expiry) the delay queue of ``queue``."""
        target = self._name(queue)
        name = f"{target}.delay.{delay_ms}"
        arguments = {
            "x-queue-type": "quorum",
            "x-message-ttl": delay_ms,
            "x-expires": delay_ms + _DELAY_QUEUE_IDLE_MS,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": target,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
        chan.queue_declare(name, durable=True, arguments=arguments)
        self._delay_queues.setdefault(queue, set()).add(name)
        return name

    def _publish(self, chan: BlockingChannel, name: str, body: bytes, *, attempts: int) -> None:
        properties = pika.BasicProperties(
            delivery_mode=_PERSISTENT, headers={ATTEMPTS_HEADER: attempts}
        )
        chan.basic_publish("", name, body, properties, mandatory=True)

    def _consume(self, chan: BlockingChannel, names: list[str], prefetch: int) -> None:
        """Consume from every queue of ``names`` not consumed yet, ``prefetch`` at most each."""
        if prefetch != self._prefetch:
            chan.basic_qos(prefetch_count=prefetch)  # for the consumers started from now on
            self._prefetch = prefetch
        for queue in names:
            if queue not in self._consumers:
                self._consumers[queue] = chan.basic_consume(
                    self._ensure(chan, queue),
                    functools.partial(self._pushed, queue, self._generation),
                )

    def _pushed(
        self,
        queue: str,
        generation: int,
        _chan: BlockingChannel,
        method: pika.spec.Basic.Deliver,
        properties: pika.BasicProperties,
        body: bytes,
    ) -> None:
        if generation != self._generation:
            return  # a message of a connection already dropped: back in its queue
        self._unacked[queue] += 1
        self._outstanding.add(method.delivery_tag)
        attempts = _attempts(properties) + (2 if method.redelivered else 1)
        tag = (self._generation, method.delivery_tag)
        self._buffer.append(Delivery(queue, bytes(body), attempts, tag))

    def _poll(self, names: list[str]) -> Delivery | None:
        """One ``basic.get`` per queue at most, starting after the last queue served."""
        with self._guard() as chan:
            for step in range(len(names)):
                index = (self._turn + step) % len(names)
                try:
                    method, properties, body = chan.basic_get(self._ensure(chan, names[index]))
                except amqp.ChannelClosedByBroker as exc:
                    if exc.reply_code != _NOT_FOUND:
                        raise
                    # deleted under us (a connector deleted by another process): no message
                    # there; the channel is closed, the next poll opens a new one
                    self._drop()
                    return None
                if method is not None:
                    self._turn = index + 1
                    self._unacked[names[index]] += 1
                    self._outstanding.add(method.delivery_tag)
                    attempts = _attempts(properties) + (2 if method.redelivered else 1)
                    tag = (self._generation, method.delivery_tag)
                    return Delivery(names[index], bytes(body), attempts, tag)
        return None


_NOT_FOUND = 404


def _connection_parameters(url: str) -> pika.URLParameters:
    """Parse ``url``; bound the wait on a broker that blocks publishers unless the URL does."""
    try:
        params = pika.URLParameters(url)
    except ValueError as exc:
        raise BackendError(f"unusable RabbitMQ URL: {exc}") from exc
    if "blocked_connection_timeout" not in parse_qs(urlsplit(url).query):
        params.blocked_connection_timeout = _BLOCKED_TIMEOUT
    return params


def _attempts(properties: pika.BasicProperties) -> int:
    """Deliveries counted before this one, from the header ``release`` sets."""
    value = (properties.headers or {}).get(ATTEMPTS_HEADER, 0)
    return value if isinstance(value, int) and value >= 0 else 0


def _delay_ms(delay: float) -> int:
    """``delay`` in milliseconds, rounded up to two significant digits."""
    ms = max(1, math.ceil(delay * 1000))
    step = 10 ** max(0, len(str(ms)) - 2)
    return -(-ms // step) * step


def _translate(exc: BaseException, where: str) -> BackendError:
    """A stixflow error for a pika or socket error: transient unless retrying cannot help."""
    message = f"RabbitMQ at {where}: {type(exc).__name__}: {str(exc) or repr(exc)}"
    if isinstance(exc, _FATAL_CONNECT | amqp.UnroutableError | amqp.ChannelClosedByBroker):
        return BackendError(message)
    if isinstance(exc, amqp.AMQPConnectionError | amqp.AMQPChannelError | OSError):
        return TransientBackendError(message)
    return BackendError(message)
