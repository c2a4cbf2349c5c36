"""Who am I (any valid token) and password login (no token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from stixflow.access.login import login
from stixflow.access.schemas import LoginIn, LoginOut, MeOut
from stixflow.access.service import AccessService
from stixflow.api.deps import Caller, client_address, get_caller, get_runtime
from stixflow.runtime import Runtime

router = APIRouter(prefix="/api", tags=["access"])


@router.get("/me", response_model=MeOut)
def me(caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)) -> MeOut:
    """The caller, their groups, capabilities and allowed markings (null: every marking)."""
    return AccessService(runtime.db, runtime.store, actor=caller.actor).me()


@router.post("/login", response_model=LoginOut)
def password_login(
    credentials: LoginIn, request: Request, runtime: Runtime = Depends(get_runtime)
) -> LoginOut:
    """Trade an email and a password for an API token valid 12 hours (shown once)."""
    return login(runtime.db, credentials, address=client_address(request))
