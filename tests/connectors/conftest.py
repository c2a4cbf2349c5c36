from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.api.app import create_app
from stixflow.connectors.service import ConnectorService
from stixflow.runtime import Runtime
from tests.api.conftest import admin_token, user_token  # noqa: F401  (shared fixtures)


@pytest.fixture
def client(runtime: Runtime, admin_token: str) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(runtime)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin_token}"
        yield test_client


@pytest.fixture(autouse=True)
def forget_connectors(runtime: Runtime) -> Iterator[None]:
    """Delete what tests registered: on RabbitMQ, their exchanges and broker users too."""
    yield
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    for connector in service.records.list():
        service.delete(connector.id)
