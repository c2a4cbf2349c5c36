from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence

import pytest
from fastapi.testclient import TestClient

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.bootstrap import ensure_admin
from stixflow.access.capabilities import Capability
from stixflow.access.schemas import GroupCreate, TokenCreate, UserCreate
from stixflow.access.service import AccessService
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


@pytest.fixture
def user_token(runtime: Runtime) -> Callable[..., str]:
    """A token of a new user in a new group with these capabilities and markings."""
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)

    def make(
        *capabilities: Capability,
        allowed: Sequence[str] = (),
        defaults: Sequence[str] = (),
    ) -> str:
        name = f"u{uuid.uuid4().hex[:8]}"
        group = service.create_group(
            GroupCreate(
                name=f"group of {name}",
                capabilities=list(capabilities),
                allowed_markings=list(allowed),
                default_markings=list(defaults),
            )
        )
        user = service.create_user(
            UserCreate(email=f"{name}@example.org", name=name, groups=[group.id])
        )
        return service.create_token(user.id, TokenCreate(name="test")).token

    return make
