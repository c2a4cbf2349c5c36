"""The back-end pairs a scenario runs on, each set up fresh and torn down after use.

``sqlite-embedded``: a SQLite file in a temporary directory, queue tables inside it.
``postgres-rabbitmq``: a freshly created PostgreSQL database (dropped afterwards) and a random
RabbitMQ queue-name prefix (the queues are deleted afterwards). The services are found at
``STIXFLOW_BENCH_PG`` / ``STIXFLOW_BENCH_AMQP`` (defaults: loopback, as in the test suite).
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from stixflow.config import Settings, load_settings
from stixflow.runtime import open_runtime

PG_ADMIN_URL = os.environ.get("STIXFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("STIXFLOW_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672/%2F")
CONNECT_TIMEOUT = 3.0
#: The scenarios' peers (medallion, a second stixflow) run on loopback, which the outbound
#: policy refuses by default.
OUTBOUND = {"allow": ["127.0.0.0/8", "::1"]}


class Unavailable(Exception):
    """A service a pair needs does not answer; the row is skipped with this reason."""


def _answers(url: str, default_port: int) -> str | None:
    """None when something listens at ``url``'s host and port, else the reason."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            return None
    except OSError as exc:
        return f"nothing answers on {host}:{port} ({exc.strerror or exc})"


def check_available(pair: str) -> None:
    """Raise :class:`Unavailable` when ``pair`` cannot be measured on this machine."""
    if pair == "sqlite-embedded":
        return
    for service, url, port in (("PostgreSQL", PG_ADMIN_URL, 5432), ("RabbitMQ", AMQP_URL, 5672)):
        reason = _answers(url, port)
        if reason is not None:
            raise Unavailable(f"{service}: {reason}")


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a ``stixflow worker`` process using ``settings``' back ends."""
    return {
        **os.environ,
        "STIXFLOW_DATABASE_URL": settings.database_url,
        "STIXFLOW_BROKER_URL": settings.broker_url,
        "STIXFLOW_BROKER_PREFIX": settings.broker_prefix,
    }


@contextmanager
def fresh_pg_database(prefix: str = "sfbench") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped (with its sessions) on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as exc:
        raise Unavailable(f"PostgreSQL: {exc}".strip()) from exc
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_settings(pair: str) -> Iterator[Settings]:
    """Settings for a new, migrated, empty instance of ``pair``; everything removed on exit."""
    if pair == "sqlite-embedded":
        with tempfile.TemporaryDirectory(prefix="stixflow-bench-") as directory:
            settings = load_settings(
                database_url=f"sqlite:///{directory}/stixflow.db", outbound=OUTBOUND
            )
            _migrate(settings)
            yield settings
        return
    with fresh_pg_database() as url:
        settings = load_settings(
            database_url=url,
            broker_url=AMQP_URL,
            broker_prefix=f"b{uuid.uuid4().hex[:8]}.",
            outbound=OUTBOUND,
        )
        _migrate(settings)
        try:
            yield settings
        finally:
            _delete_queues(settings)


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stixflow-bench-") as directory:
        yield Path(directory)


def _migrate(settings: Settings) -> None:
    open_runtime(settings).close()


def _delete_queues(settings: Settings) -> None:
    """Remove this run's queues from the shared broker (their names carry the run's prefix)."""
    runtime = open_runtime(settings, run_migrations=False)
    try:
        for name in runtime.registry.names():
            runtime.queue.delete(name)
    finally:
        runtime.close()
