"""What a user may do and see comes from their groups (both back-end pairs)."""

from __future__ import annotations

import pytest

from stixflow.access import tokens
from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.capabilities import Capability
from stixflow.access.passwords import verify_password
from stixflow.access.principal import principal_of
from stixflow.access.schemas import GroupCreate, SourceCreate, TokenCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.errors import Conflict
from stixflow.runtime import Runtime
from tests.support import TLP_AMBER, TLP_GREEN


@pytest.fixture
def service(runtime: Runtime) -> AccessService:
    return AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)


def test_rights_are_the_union_of_the_groups(runtime: Runtime, service: AccessService) -> None:
    service.create_group(
        GroupCreate(
            name="Readers", capabilities=[Capability.KNOWLEDGE], allowed_markings=["TLP:GREEN"]
        )
    )
    service.create_group(
        GroupCreate(
            name="Exporters",
            capabilities=[Capability.EXPLORE],
            allowed_markings=["TLP:AMBER"],
            default_markings=["TLP:AMBER"],
        )
    )
    user = service.create_user(UserCreate(email="ann@example.org", name="Ann", groups=["Readers"]))
    with runtime.db.read() as tx:
        reader = principal_of(tx, user.id)
    assert reader.capabilities == {Capability.KNOWLEDGE}
    assert reader.allowed_markings is not None
    assert TLP_GREEN in reader.allowed_markings and TLP_AMBER not in reader.allowed_markings

    service.add_member("Exporters", "ann@example.org")
    with runtime.db.read() as tx:
        both = principal_of(tx, user.id)
    assert both.capabilities == {Capability.KNOWLEDGE, Capability.EXPLORE}
    assert both.allowed_markings is not None and TLP_AMBER in both.allowed_markings
    assert both.default_markings == (service.get_group("Exporters").default_markings[0],)

    service.add_member("Administrators", "ann@example.org")
    with runtime.db.read() as tx:
        admin = principal_of(tx, user.id)
    assert admin.is_admin and admin.allowed_markings is None


def test_passwords_and_tokens_are_stored_hashed(runtime: Runtime, service: AccessService) -> None:
    user = service.create_user(
        UserCreate(email="ben@example.org", name="Ben", password="a long password")
    )
    created = service.create_token(user.id, TokenCreate(name="cli"))
    with runtime.db.read() as tx:
        password_hash = tx.scalar("SELECT password_hash FROM users WHERE id = ?", (user.id,))
        token_hash = tx.scalar("SELECT token_hash FROM api_tokens WHERE id = ?", (created.id,))
    assert password_hash.startswith("$argon2id$")
    assert verify_password(password_hash, "a long password")
    assert not verify_password(password_hash, "another password")
    assert token_hash != created.token and created.token not in token_hash

    owner = tokens.authenticate(runtime.db, created.token, address="10.0.0.1")
    assert owner is not None and owner.user_id == user.id
    service.revoke_token(created.id)
    assert tokens.authenticate(runtime.db, created.token) is None


def test_source_accounts_follow_the_seed_convention(service: AccessService) -> None:
    spec = SourceCreate(name="circl.lu")
    account = service.add_source(spec)
    assert account.user.name == "[F] circl.lu" and account.user.groups == ["Connectors"]
    assert account.organization.name == "circl.lu"
    with pytest.raises(Conflict):
        service.add_source(spec)
