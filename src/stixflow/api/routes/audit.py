"""The audit log, newest first. Capability: SETTINGS."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import AuditEntryOut
from stixflow.access.service import AccessService
from stixflow.api.deps import service_for

router = APIRouter(prefix="/api/audit", tags=["access"])
admin = service_for(Capability.SETTINGS)


@router.get("", response_model=list[AuditEntryOut])
def list_audit(
    action: str | None = Query(None, max_length=100, description="action or prefix (user)"),
    limit: int = Query(100, ge=1, le=1000),
    service: AccessService = Depends(admin),
) -> list[AuditEntryOut]:
    return service.list_audit(action=action, limit=limit)
