"""Fixtures of the ingestion tests: real peers on loopback and an ingestion service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stixflow.access.audit import Actor
from stixflow.access.bootstrap import ensure_admin
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime
from tests.ingest.servers import FeedServer, Medallion

ICS_8 = "stix/attack-stix-data-ics-attack-8.0.json"
ICS_17 = "stix/attack-stix-data-ics-attack-17.1.json"


def corpus(data_dir: Path, name: str) -> list[dict[str, Any]]:
    return list(json.loads((data_dir / name).read_text(encoding="utf-8"))["objects"])


@pytest.fixture(scope="session")
def ics_objects(data_dir: Path) -> list[dict[str, Any]]:
    return corpus(data_dir, ICS_8)


@pytest.fixture
def medallion(tmp_path: Path, ics_objects: list[dict[str, Any]]) -> Iterator[Medallion]:
    server = Medallion(tmp_path, ics_objects, page_size=100).start()
    yield server
    server.stop()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def admin(runtime: Runtime) -> Actor:
    user_id = ensure_admin(runtime.db, runtime.settings).user_id
    return Actor(user_id=user_id, address="test", is_admin=True)


@pytest.fixture
def service(runtime: Runtime, admin: Actor) -> IngestionService:
    return IngestionService(runtime, actor=admin)
