"""The only place where domain errors become HTTP status codes."""

from __future__ import annotations

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
    (errors.SourceError, 502),
    (errors.TransientBackendError, 503),
    (errors.BackendError, 500),
    (errors.ConfigError, 500),
]


def status_for(exc: errors.StixflowError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(status: int, message: str, **extra: object) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message, "status": status, **extra}, status, headers=headers)


async def stixflow_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.StixflowError)
    extra = {"capability": exc.capability} if isinstance(exc, errors.AccessDenied) else {}
    return error_body(status_for(exc), str(exc), **extra)


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
