"""The only place where domain errors become HTTP status codes."""

from __future__ import annotations

import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from stixflow import errors

STATUS: list[tuple[type[errors.StixflowError], int]] = [
    (errors.PayloadTooLarge, 413),
    (errors.InvalidInput, 400),
    (errors.Unauthenticated, 401),
    (errors.AccessDenied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.RateLimited, 429),
    (errors.HistoryGone, 410),
    (errors.OutboundRefused, 400),  # the URL given names a destination the policy refuses
    (errors.SourceError, 502),
    (errors.TransientBackendError, 503),
    (errors.DataRefused, 400),
    (errors.BackendError, 500),
    (errors.ConfigError, 500),
]


def status_for(exc: errors.StixflowError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(
    status: int, message: str, *, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": message, "status": status, **extra}, status, headers=headers)


async def stixflow_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.StixflowError)
    extra: dict[str, object] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, errors.AccessDenied):
        extra["capability"] = exc.capability
    if isinstance(exc, errors.HistoryGone):
        extra.update(kept_after=exc.kept_after, kept_since=exc.kept_since)
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return error_body(status_for(exc), str(exc), headers=headers, **extra)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
        for e in exc.errors()
    ]
    return error_body(422, "invalid request", details=details)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.StixflowError, stixflow_error)
    app.add_exception_handler(RequestValidationError, validation_error)
