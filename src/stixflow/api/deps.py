"""Request dependencies: the runtime, the authenticated caller, capability checks.

Every endpoint but ``/health`` and ``/api/login`` authenticates (no or a bad token: 401); its
capability is checked by ``require`` (missing: 403 naming it). The caller's ``access`` (allowed
markings from their groups) goes down to the store, which filters every read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stixflow.access.audit import Actor
from stixflow.access.capabilities import Capability, grants
from stixflow.access.principal import principal_of
from stixflow.access.service import AccessService
from stixflow.access.tokens import authenticate
from stixflow.errors import AccessDenied, Unauthenticated
from stixflow.pipeline.works import WorkViewer
from stixflow.runtime import Runtime
from stixflow.store.base import Access

bearer = HTTPBearer(auto_error=False)


@dataclass
class Caller:
    """The authenticated user of a request, with what they may do and see."""

    user_id: str
    email: str
    is_admin: bool
    capabilities: frozenset[str] = frozenset()
    allowed_markings: frozenset[str] | None = frozenset()
    default_markings: tuple[str, ...] = ()
    address: str | None = None

    @property
    def access(self) -> Access:
        return Access(self.allowed_markings)

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, address=self.address, is_admin=self.is_admin)

    @property
    def work_viewer(self) -> WorkViewer:
        return WorkViewer(self.user_id, sees_all=self.is_admin)

    def can(self, capability: str) -> bool:
        return grants(self.capabilities, capability)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def caller_for(runtime: Runtime, token: str, *, address: str | None) -> Caller | None:
    """The user a token belongs to, with their capabilities and markings; None if the token is
    unknown, expired or revoked. Shared by the API (bearer header) and the web UI (cookie)."""
    owner = authenticate(runtime.db, token, address=address)
    if owner is None:
        return None
    with runtime.db.read() as tx:
        principal = principal_of(tx, owner.user_id)
    return Caller(
        user_id=owner.user_id,
        email=owner.email,
        is_admin=principal.is_admin,
        capabilities=principal.capabilities,
        allowed_markings=principal.allowed_markings,
        default_markings=principal.default_markings,
        address=address,
    )


def get_caller(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    runtime: Runtime = Depends(get_runtime),
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("missing bearer token")
    caller = caller_for(runtime, credentials.credentials, address=client_address(request))
    if caller is None:
        raise Unauthenticated("unknown, expired or revoked token")
    return caller


def require(capability: Capability) -> Callable[..., Caller]:
    """A dependency: the caller, if they hold ``capability`` (403 naming it otherwise)."""

    def check(caller: Caller = Depends(get_caller)) -> Caller:
        if not caller.can(capability):
            raise AccessDenied(capability)
        return caller

    return check


def service_for(capability: Capability) -> Callable[..., AccessService]:
    """A dependency: the access service acting as the caller, if they hold ``capability``."""

    allowed = require(capability)

    def build(
        caller: Caller = Depends(allowed), runtime: Runtime = Depends(get_runtime)
    ) -> AccessService:
        return AccessService(runtime.db, runtime.store, actor=caller.actor, access=caller.access)

    return build
