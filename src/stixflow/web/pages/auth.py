"""``/login`` (email and password, or an API token) and ``/logout``."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from stixflow.access.login import LOGIN_TOKEN_HOURS, login, logout
from stixflow.access.schemas import LoginIn
from stixflow.api.deps import caller_for, client_address, get_runtime
from stixflow.errors import RateLimited, Unauthenticated
from stixflow.runtime import Runtime
from stixflow.web.session import COOKIE, CrossOrigin, same_origin
from stixflow.web.templating import render

router = APIRouter()


@router.get("/login")
def login_page(request: Request, next: str = "/", expired: bool = False) -> Response:
    notice = "Your session ended: sign in again." if expired else None
    return render(request, "auth/login.html", next=safe_next(next), notice=notice, error=None)


@router.post("/login")
def sign_in(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    token: str = Form(""),
    next: str = Form("/"),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    if not same_origin(request):
        raise CrossOrigin(request.headers.get("origin", ""))
    address = client_address(request)
    session, error, status, headers = None, None, 401, None
    if token.strip():
        if caller_for(runtime, token.strip(), address=address) is not None:
            session = token.strip()
        else:
            error = "This token is unknown, expired or revoked."
    else:
        try:
            credentials = LoginIn(email=email, password=password)
            signed_in = login(
                runtime.db, credentials, address=address, limits=runtime.settings.login
            )
            session = signed_in.token.token
        except (Unauthenticated, ValidationError):
            error = "Wrong email or password."
        except RateLimited as refused:
            error, status = limited_message(refused.retry_after), 429
            headers = {"Retry-After": str(math.ceil(refused.retry_after))}
    if session is None:
        return render(
            request,
            "auth/login.html",
            status=status,
            headers=headers,
            next=safe_next(next),
            notice=None,
            error=error,
        )
    answer = RedirectResponse(safe_next(next), status_code=303)
    answer.set_cookie(
        COOKIE,
        session,
        max_age=LOGIN_TOKEN_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return answer


@router.post("/logout")
def sign_out(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    if not same_origin(request):
        raise CrossOrigin(request.headers.get("origin", ""))
    token = request.cookies.get(COOKIE)
    if token:
        logout(runtime.db, token)
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(COOKIE)
    return answer


def limited_message(retry_after: float) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed sign-ins for this account or from this address. "
        f"Try again in {minutes} {unit}."
    )


def safe_next(target: str) -> str:
    """Only a path on this site (never ``//host`` or a full URL) may follow a login."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
