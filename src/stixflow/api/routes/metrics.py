"""``/metrics`` (Prometheus text format) and the probes: ``/health`` is liveness (the process
answers), ``/ready`` readiness (database and broker reachable, migrations applied)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from stixflow.access.capabilities import Capability
from stixflow.api.deps import bearer, caller_for, client_address, get_runtime
from stixflow.errors import AccessDenied, Unauthenticated
from stixflow.runtime import Runtime

router = APIRouter(tags=["platform"])


def scraper(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    runtime: Runtime = Depends(get_runtime),
) -> None:
    """The metrics token (``metrics.token``), or the API token of a user holding SETTINGS."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("missing bearer token")
    configured = runtime.settings.metrics.token
    given = credentials.credentials
    if configured is not None and hmac.compare_digest(
        given.encode(), configured.get_secret_value().encode()
    ):
        return
    caller = caller_for(runtime, given, address=client_address(request))
    if caller is None:
        raise Unauthenticated("unknown, expired or revoked token")
    if not caller.can(Capability.SETTINGS):
        raise AccessDenied(Capability.SETTINGS)


@router.get("/metrics", response_class=Response, dependencies=[Depends(scraper)])
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
