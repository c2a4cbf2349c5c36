"""Who is looking at a page: the session cookie, and capability checks for pages.

A session is an API token with an expiry (password login mints one; a token pasted at login is
kept as it is) in an HttpOnly, SameSite=Lax cookie. No cookie, or a token that expired or was
revoked, raises ``LoginRequired``: the page handler sends the browser to ``/login`` (htmx
requests get an ``HX-Redirect``). Unsafe methods must come from the same origin.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import Depends, Request

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, caller_for, client_address, get_runtime
from stixflow.errors import AccessDenied
from stixflow.runtime import Runtime

COOKIE = "stixflow_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No live session: go to the login page, then come back to ``next_url``."""

    def __init__(self, next_url: str, *, expired: bool) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired  # a session cookie came, but its token is dead


class CrossOrigin(Exception):
    """A form posted from another site."""


def page_caller(request: Request, runtime: Runtime = Depends(get_runtime)) -> Caller:
    """The signed-in user of a page request (``LoginRequired`` without a live session)."""
    request.state.page = True
    if request.method not in SAFE_METHODS and not same_origin(request):
        raise CrossOrigin(request.headers.get("origin") or request.headers.get("referer") or "")
    token = request.cookies.get(COOKIE)
    caller = caller_for(runtime, token, address=client_address(request)) if token else None
    if caller is None:
        raise LoginRequired(_return_path(request), expired=bool(token))
    return caller


def page_require(capability: Capability) -> Callable[..., Caller]:
    """A page dependency: the signed-in user, if they hold ``capability`` (a 403 page else)."""

    def check(caller: Caller = Depends(page_caller)) -> Caller:
        if not caller.can(capability):
            raise AccessDenied(capability)
        return caller

    return check


def same_origin(request: Request) -> bool:
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed:
        return False
    return urlsplit(claimed).netloc == request.headers.get("host", "")


def _return_path(request: Request) -> str:
    if request.headers.get("hx-request"):
        current = request.headers.get("hx-current-url")
        if current:
            parts = urlsplit(current)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")
