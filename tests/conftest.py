"""Shared fixtures: the back-end pairs every store/queue test runs against, and the real data.

Pairs: ``sqlite-embedded`` (always) and ``postgres-rabbitmq`` (when PostgreSQL and RabbitMQ
answer on loopback; skipped with the reason otherwise, and failing instead of skipping in CI).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from stixflow.config import Settings, load_settings
from stixflow.db import open_database
from stixflow.db.migrations import migrate
from stixflow.runtime import Runtime, open_runtime
from tests.browser import browser  # noqa: F401  (one Chromium for the whole run)
from tests.support import LOOPBACK

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("STIXFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("STIXFLOW_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/%2F")
PAIRS = ["sqlite-embedded", "postgres-rabbitmq"]
PREBUILD = pytest.StashKey[Any]()
TEST_SECRET_KEY = "stixflow-tests-only-secret-key-0123456789"  # no key files in the repository


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if answers(host, port):
        return
    message = f"{name} does not answer on {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run every back end)")
    pytest.skip(message)


def pytest_collection_finish(session: pytest.Session) -> None:
    """When a run holds tests that start OpenCTI's connectors and tests before them, the
    connectors' environments are built in the background meanwhile (minutes of pip on a fresh
    clone, hidden behind the other tests)."""
    from tests.connectors.peers import PEER_TESTS, Prebuild

    files = {item.path.name for item in session.items}
    if files & set(PEER_TESTS) and files - set(PEER_TESTS):
        session.config.stash[PREBUILD] = Prebuild()


def pytest_sessionfinish(session: pytest.Session) -> None:
    prebuild = session.config.stash.get(PREBUILD, None)
    if prebuild is not None:
        prebuild.stop()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.fail(f"shared test data not found at {DATA}")
    return DATA


@dataclass
class Pair:
    """The settings of one back-end pair, usable in-process and by subprocesses (``env``)."""

    name: str
    settings: Settings

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "STIXFLOW_DATABASE_URL": self.settings.database_url,
            "STIXFLOW_BROKER_URL": self.settings.broker_url,
            "STIXFLOW_BROKER_PREFIX": self.settings.broker_prefix,
            "STIXFLOW_WORKER__LEASE_SECONDS": str(self.settings.worker.lease_seconds),
            "STIXFLOW_WORKER__CHUNK_SIZE": str(self.settings.worker.chunk_size),
            "STIXFLOW_SECRET_KEY": TEST_SECRET_KEY,
            "STIXFLOW_OUTBOUND__ALLOW": json.dumps(self.settings.outbound.allow),
        }


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated database that each test's database is copied from (fast CREATE ... TEMPLATE)."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"sf_template_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = open_database(_pg_url(name))
    migrate(db)
    db.close()
    yield name
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    template = request.getfixturevalue("pg_template")
    name = f"sf_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_url(name)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_pair(request: pytest.FixtureRequest, name: str, tmp_path: Path) -> Pair:
    common = {
        "worker": {"lease_seconds": 5.0, "chunk_size": 200, "max_attempts": 4},
        "secret_key": TEST_SECRET_KEY,
        "outbound": {"allow": LOOPBACK},
    }
    if name == "sqlite-embedded":
        settings = load_settings(database_url=f"sqlite:///{tmp_path}/stixflow.db", **common)
    else:
        require_service("RabbitMQ", "127.0.0.1", 5672)
        url = request.getfixturevalue("pg_database")
        settings = load_settings(
            database_url=url,
            broker_url=AMQP_URL,
            broker_prefix=f"t{uuid.uuid4().hex[:8]}.",
            **common,
        )
    return Pair(name, settings)


@pytest.fixture(params=PAIRS)
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Pair:
    return make_pair(request, request.param, tmp_path)


@pytest.fixture
def runtime(pair: Pair) -> Iterator[Runtime]:
    runtime = open_runtime(pair.settings)
    yield runtime
    if not pair.settings.is_embedded_broker:
        for queue in runtime.registry.names():
            runtime.queue.delete(queue)
    runtime.close()
