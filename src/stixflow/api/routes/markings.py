"""Marking definitions: listed with KNOWLEDGE, statement markings managed with SETTINGS."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import PRINTABLE, MarkingCreate, MarkingOut
from stixflow.access.service import AccessService
from stixflow.api.deps import service_for

router = APIRouter(prefix="/api/markings", tags=["access"])
admin = service_for(Capability.SETTINGS)
reader = service_for(Capability.KNOWLEDGE)


@router.get("", response_model=list[MarkingOut])
def list_markings(
    service: AccessService = Depends(reader),
) -> list[MarkingOut]:
    """The marking definitions the caller may see (TLP definitions are built in)."""
    return service.list_markings()


@router.post("", status_code=201, response_model=MarkingOut)
def create_marking(spec: MarkingCreate, service: AccessService = Depends(admin)) -> MarkingOut:
    """A statement marking (STIX 2.1 §7.2.1.3); the same statement is always the same id."""
    return service.create_marking(spec)


@router.delete("/{marking_id}", status_code=204, response_class=Response, response_model=None)
def delete_marking(
    marking_id: str = Path(max_length=200, pattern=PRINTABLE),
    service: AccessService = Depends(admin),
) -> None:
    service.delete_marking(marking_id)
