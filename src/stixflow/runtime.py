"""The running platform's parts, built once from the settings and passed down."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from stixflow.config import Settings
from stixflow.crypto import SecretBox
from stixflow.crypto.keys import box_for
from stixflow.db import Database, location, open_database
from stixflow.db.migrations import migrate
from stixflow.errors import ConfigError
from stixflow.pipeline.deadletters import DeadLetters
from stixflow.pipeline.queues import QueueRegistry
from stixflow.pipeline.submit import Submitter
from stixflow.pipeline.works import WorkStore
from stixflow.queue.base import Queue
from stixflow.store.sql import SQLStore


def queue_factory(settings: Settings, db: Database) -> Callable[[], Queue]:
    """A constructor for the configured broker (called once per thread that needs one)."""
    if settings.is_embedded_broker:
        from stixflow.queue.embedded import EmbeddedQueue

        return lambda: EmbeddedQueue(db, lease_seconds=settings.worker.lease_seconds)
    from stixflow.queue.rabbitmq import RabbitMQQueue

    return lambda: RabbitMQQueue(settings.broker_url, prefix=settings.broker_prefix)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    store: SQLStore
    works: WorkStore
    registry: QueueRegistry
    dead_letters: DeadLetters
    make_queue: Callable[[], Queue]
    secrets: SecretBox
    _local: threading.local = field(default_factory=threading.local)
    _opened: list[Queue] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def queue(self) -> Queue:
        """This thread's broker connection (pika connections are not thread-safe)."""
        queue: Queue | None = getattr(self._local, "queue", None)
        if queue is None:
            queue = self.make_queue()
            self._local.queue = queue
            with self._lock:
                self._opened.append(queue)
        return queue

    @property
    def submitter(self) -> Submitter:
        return Submitter(
            queue=self.queue,
            works=self.works,
            registry=self.registry,
            chunk_size=self.settings.worker.chunk_size,
            held=self.store.held,
        )

    def close(self) -> None:
        """Close every broker connection this runtime opened (any thread's), then the database."""
        with self._lock:
            opened, self._opened = self._opened, []
        for queue in opened:
            queue.close()
        self._local = threading.local()
        self.db.close()


def open_runtime(
    settings: Settings, *, run_migrations: bool = True, create: bool = True
) -> Runtime:
    """The platform's parts. ``create``: make the database if it is missing (``serve``,
    ``migrate`` and tests); otherwise a missing database is a ConfigError naming it."""
    if create:
        location.prepare(settings)
    else:
        location.require_file(settings)
    box = box_for(settings)  # before the database: an instance without its key must not start
    db = open_database(settings.database_url)
    if not create:
        try:
            location.require_schema(db, settings)
        except ConfigError:
            db.close()
            raise
    if run_migrations:
        migrate(db)
    works = WorkStore(db)
    return Runtime(
        settings=settings,
        db=db,
        store=SQLStore(db),
        works=works,
        registry=QueueRegistry(db),
        dead_letters=DeadLetters(db, works),
        make_queue=queue_factory(settings, db),
        secrets=box,
    )
