"""Errors on pages: a login page for a dead session, an error page a person can act on.

Requests that went through ``page_caller`` carry ``request.state.page``; their domain errors
render ``error.html`` with the same status the API would use. Everything else keeps the API's
JSON errors.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response

from stixflow import errors
from stixflow.api import errors as api_errors
from stixflow.web.session import CrossOrigin, LoginRequired
from stixflow.web.templating import render


def is_page(request: Request) -> bool:
    return bool(getattr(request.state, "page", False))


async def login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = f"/login?next={quote(exc.next_url, safe='/')}" + ("&expired=1" if exc.expired else "")
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def cross_origin(request: Request, exc: Exception) -> Response:
    return render(
        request,
        "error.html",
        status=403,
        title="Refused",
        message="This form was not sent from this site. Reload the page and try again.",
    )


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.StixflowError)
    if not is_page(request):
        return await api_errors.stixflow_error(request, exc)
    status = api_errors.status_for(exc)
    if isinstance(exc, errors.AccessDenied):
        message = f"You need the {exc.capability} capability for this page or action."
    else:
        message = str(exc)
    return render(
        request,
        "error.html",
        status=status,
        headers=_to_flash(request),
        title=_title(status),
        message=message,
    )


async def invalid_request(request: Request, exc: Exception) -> Response:
    if not is_page(request):
        return await api_errors.validation_error(request, exc)
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()
    )
    return render(
        request,
        "error.html",
        status=422,
        headers=_to_flash(request),
        title="Invalid request",
        message=problems,
    )


def _to_flash(request: Request) -> dict[str, str] | None:
    """htmx requests show errors in the page's flash area, not in the element they target."""
    if request.headers.get("hx-request"):
        return {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return None


def _title(status: int) -> str:
    return {401: "Sign in", 403: "Not allowed", 404: "Not found", 409: "Conflict"}.get(
        status, "Error"
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CrossOrigin, cross_origin)
    app.add_exception_handler(errors.StixflowError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
