"""What every TAXII 2.1 endpoint shares: its media type, its error bodies, who is calling.

TAXII endpoints answer errors with the TAXII error message resource (TAXII 2.1 §3.6) and the
TAXII media type, so they run under ``TaxiiRoute``, which turns the domain errors into those
bodies (status codes from ``stixflow.api.errors``, plus 406/415/405 for negotiation).
Authentication is optional: an anonymous caller may read public collections; a bad token is
refused (401 with ``WWW-Authenticate: Basic, Bearer``). A bearer token, or basic credentials
whose password is a token (for TAXII clients that only speak basic), identify the caller.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from starlette.responses import Response

from stixflow import errors
from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_caller, get_runtime
from stixflow.api.errors import status_for
from stixflow.runtime import Runtime
from stixflow.taxii import resources
from stixflow.taxii.media import TAXII_21, NotAcceptable, Unsupported, UnsupportedMediaType

NEGOTIATION = {NotAcceptable: 406, UnsupportedMediaType: 415, Unsupported: 405}
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
}


class TaxiiResponse(Response):
    media_type = TAXII_21

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def taxii_error(status: int, description: str) -> TaxiiResponse:
    headers = {"WWW-Authenticate": "Basic, Bearer"} if status == 401 else None
    title = TITLES.get(status, "Server error")
    return TaxiiResponse(resources.error(title, status, description), status, headers=headers)


def status_of(exc: errors.StixflowError) -> int:
    for kind, status in NEGOTIATION.items():
        if isinstance(exc, kind):
            return status
    return status_for(exc)


class TaxiiRoute(APIRoute):
    """A route whose errors are TAXII error message resources."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def taxii_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.StixflowError as exc:
                return taxii_error(status_of(exc), str(exc))
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                    for e in exc.errors()
                )
                return taxii_error(400, problems)

        return taxii_handler


def _token(header: str) -> str:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise errors.Unauthenticated("malformed basic credentials") from exc
        password = decoded.partition(":")[2]
        if password:
            return password
    raise errors.Unauthenticated("give a bearer token (or basic credentials with a token)")


def optional_caller(request: Request, runtime: Runtime = Depends(get_runtime)) -> Caller | None:
    """The caller, or None for an anonymous request; Unauthenticated for a bad token."""
    header = request.headers.get("authorization")
    if not header:
        return None
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=_token(header))
    return get_caller(request, credentials, runtime)


def sharing_caller(caller: Caller | None) -> Caller:
    """An authenticated caller allowed to use data sharing (``TAXIIAPI``)."""
    if caller is None:
        raise errors.Unauthenticated("authentication required")
    if not caller.can(Capability.TAXIIAPI):
        raise errors.AccessDenied(Capability.TAXIIAPI)
    return caller
