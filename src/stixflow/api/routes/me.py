"""Who am I, my own tokens and password (any valid token), and password login (no token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response

from stixflow.access.login import login
from stixflow.access.own import OwnAccount
from stixflow.access.schemas import (
    PRINTABLE,
    LoginIn,
    LoginOut,
    MeOut,
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from stixflow.access.service import AccessService
from stixflow.api.deps import Caller, client_address, get_caller, get_runtime
from stixflow.runtime import Runtime

router = APIRouter(prefix="/api", tags=["access"])


def own_account(
    caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> OwnAccount:
    return OwnAccount(runtime.db, actor=caller.actor)


@router.get("/me", response_model=MeOut)
def me(caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)) -> MeOut:
    """The caller, their groups, capabilities and allowed markings (null: every marking)."""
    return AccessService(runtime.db, runtime.store, actor=caller.actor).me()


@router.get("/me/tokens", response_model=list[TokenOut])
def my_tokens(account: OwnAccount = Depends(own_account)) -> list[TokenOut]:
    return account.list_tokens()


@router.post("/me/tokens", status_code=201, response_model=TokenCreated)
def mint_my_token(spec: TokenCreate, account: OwnAccount = Depends(own_account)) -> TokenCreated:
    """A new token of one's own: the response is the only time it is shown."""
    return account.create_token(spec)


@router.delete("/me/tokens/{token_id}", response_model=TokenOut)
def revoke_my_token(
    token_id: str = Path(max_length=100, pattern=PRINTABLE),
    account: OwnAccount = Depends(own_account),
) -> TokenOut:
    return account.revoke_token(token_id)


@router.put("/me/password", status_code=204, response_class=Response, response_model=None)
def change_my_password(
    spec: PasswordChange,
    account: OwnAccount = Depends(own_account),
    runtime: Runtime = Depends(get_runtime),
) -> None:
    """Set one's password (``current_password`` is needed when one is set; rate limited like
    login)."""
    account.change_password(spec, limits=runtime.settings.login)


@router.post("/login", response_model=LoginOut)
def password_login(
    credentials: LoginIn, request: Request, runtime: Runtime = Depends(get_runtime)
) -> LoginOut:
    """Trade an email and a password for an API token valid 12 hours (shown once). Past the
    failure limits (per account, per address) the answer is 429 with Retry-After."""
    return login(
        runtime.db, credentials, address=client_address(request), limits=runtime.settings.login
    )
