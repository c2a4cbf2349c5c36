"""Organizations (STIX identities of class organization). Capability: SETTINGS."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import PRINTABLE, OrganizationCreate, OrganizationOut
from stixflow.access.service import AccessService
from stixflow.api.deps import service_for

router = APIRouter(prefix="/api/organizations", tags=["access"])
admin = service_for(Capability.SETTINGS)
OrganizationRef = Path(description="identity id or name", max_length=200, pattern=PRINTABLE)


@router.get("", response_model=list[OrganizationOut])
def list_organizations(service: AccessService = Depends(admin)) -> list[OrganizationOut]:
    return service.list_organizations()


@router.post("", status_code=201, response_model=OrganizationOut)
def create_organization(
    spec: OrganizationCreate, service: AccessService = Depends(admin)
) -> OrganizationOut:
    return service.create_organization(spec)


@router.get("/{ref}", response_model=OrganizationOut)
def get_organization(
    ref: str = OrganizationRef, service: AccessService = Depends(admin)
) -> OrganizationOut:
    return service.get_organization(ref)


@router.delete("/{ref}", status_code=204, response_class=Response, response_model=None)
def delete_organization(
    ref: str = OrganizationRef, service: AccessService = Depends(admin)
) -> None:
    """Forget the organization (its identity object stays in the knowledge base)."""
    service.delete_organization(ref)
