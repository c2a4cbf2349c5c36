"""Groups and their members. Capability: SETTINGS."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import PRINTABLE, GroupCreate, GroupOut, GroupUpdate
from stixflow.access.service import AccessService
from stixflow.api.deps import service_for

router = APIRouter(prefix="/api/groups", tags=["access"])
admin = service_for(Capability.SETTINGS)
GroupRef = Path(description="group id or name", max_length=200, pattern=PRINTABLE)
UserRef = Path(description="user id or email", max_length=200, pattern=PRINTABLE)


@router.get("", response_model=list[GroupOut])
def list_groups(service: AccessService = Depends(admin)) -> list[GroupOut]:
    return service.list_groups()


@router.post("", status_code=201, response_model=GroupOut)
def create_group(spec: GroupCreate, service: AccessService = Depends(admin)) -> GroupOut:
    return service.create_group(spec)


@router.get("/{ref}", response_model=GroupOut)
def get_group(ref: str = GroupRef, service: AccessService = Depends(admin)) -> GroupOut:
    return service.get_group(ref)


@router.patch("/{ref}", response_model=GroupOut)
def update_group(
    spec: GroupUpdate, ref: str = GroupRef, service: AccessService = Depends(admin)
) -> GroupOut:
    return service.update_group(ref, spec)


@router.delete("/{ref}", status_code=204, response_class=Response, response_model=None)
def delete_group(ref: str = GroupRef, service: AccessService = Depends(admin)) -> None:
    service.delete_group(ref)


@router.put("/{ref}/members/{user}", response_model=GroupOut)
def add_member(
    ref: str = GroupRef, user: str = UserRef, service: AccessService = Depends(admin)
) -> GroupOut:
    return service.add_member(ref, user)


@router.delete("/{ref}/members/{user}", response_model=GroupOut)
def remove_member(
    ref: str = GroupRef, user: str = UserRef, service: AccessService = Depends(admin)
) -> GroupOut:
    return service.remove_member(ref, user)
