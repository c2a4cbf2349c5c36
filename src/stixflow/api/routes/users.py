"""Users, their tokens, and source accounts (``[F] name``). Capability: SETTINGS."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import (
    PRINTABLE,
    SourceAccountOut,
    SourceCreate,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from stixflow.access.service import AccessService
from stixflow.api.deps import service_for

router = APIRouter(prefix="/api/users", tags=["access"])
admin = service_for(Capability.SETTINGS)
UserRef = Path(description="user id or email", max_length=200, pattern=PRINTABLE)


@router.get("", response_model=list[UserOut])
def list_users(service: AccessService = Depends(admin)) -> list[UserOut]:
    return service.list_users()


@router.post("", status_code=201, response_model=UserOut)
def create_user(spec: UserCreate, service: AccessService = Depends(admin)) -> UserOut:
    return service.create_user(spec)


@router.post("/sources", status_code=201, response_model=SourceAccountOut)
def add_source(spec: SourceCreate, service: AccessService = Depends(admin)) -> SourceAccountOut:
    """User ``[F] name`` in the Connectors group, its token (shown once) and the organization
    ``name`` to use as the feed's author."""
    return service.add_source(spec)


@router.get("/{ref}", response_model=UserOut)
def get_user(ref: str = UserRef, service: AccessService = Depends(admin)) -> UserOut:
    return service.get_user(ref)


@router.patch("/{ref}", response_model=UserOut)
def update_user(
    spec: UserUpdate, ref: str = UserRef, service: AccessService = Depends(admin)
) -> UserOut:
    return service.update_user(ref, spec)


@router.delete("/{ref}", status_code=204, response_class=Response, response_model=None)
def delete_user(ref: str = UserRef, service: AccessService = Depends(admin)) -> None:
    service.delete_user(ref)


@router.get("/{ref}/tokens", response_model=list[TokenOut])
def list_tokens(ref: str = UserRef, service: AccessService = Depends(admin)) -> list[TokenOut]:
    return service.list_tokens(ref)


@router.post("/{ref}/tokens", status_code=201, response_model=TokenCreated)
def create_token(
    spec: TokenCreate, ref: str = UserRef, service: AccessService = Depends(admin)
) -> TokenCreated:
    """A new API token: the response is the only time it is shown."""
    return service.create_token(ref, spec)
