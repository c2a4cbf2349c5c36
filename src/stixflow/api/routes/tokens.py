"""Revoking a token. Capability: SETTINGS."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import PRINTABLE, TokenOut
from stixflow.access.service import AccessService
from stixflow.api.deps import service_for

router = APIRouter(prefix="/api/tokens", tags=["access"])
admin = service_for(Capability.SETTINGS)


@router.delete("/{token_id}", response_model=TokenOut)
def revoke_token(
    token_id: str = Path(max_length=100, pattern=PRINTABLE),
    service: AccessService = Depends(admin),
) -> TokenOut:
    """Revoke a token: it is refused from now on (the row stays, with its revocation time)."""
    return service.revoke_token(token_id)
