"""Request dependencies: the runtime and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stixflow.access.tokens import authenticate
from stixflow.errors import Unauthenticated
from stixflow.runtime import Runtime
from stixflow.store.base import Access

bearer = HTTPBearer(auto_error=False)


@dataclass
class Caller:
    user_id: str
    email: str
    is_admin: bool

    @property
    def access(self) -> Access:
        return Access.everything()


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_caller(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    runtime: Runtime = Depends(get_runtime),
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("missing bearer token")
    owner = authenticate(runtime.db, credentials.credentials)
    if owner is None:
        raise Unauthenticated("unknown or revoked token")
    return Caller(user_id=owner.user_id, email=owner.email, is_admin=owner.is_admin)
