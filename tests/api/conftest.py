from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from stixflow.access.bootstrap import ensure_admin
from stixflow.api.app import create_app
from stixflow.runtime import Runtime


@pytest.fixture
def admin_token(runtime: Runtime) -> str:
    token = ensure_admin(runtime.db, runtime.settings).token
    assert token
    return token


@pytest.fixture
def client(runtime: Runtime, admin_token: str) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin_token}"
        yield test_client
