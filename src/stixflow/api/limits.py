"""Request limits: a body over ``max_body_bytes`` is refused before it is read all (413); a URL
whose path or query holds a NUL character is refused (400) on every back end alike, where
PostgreSQL would fail the look-up (its text cannot hold U+0000) and SQLite would find nothing.

A declared ``Content-Length`` over the cap is refused at once. A chunked body is counted as it
is received; past the cap, ``receive`` raises ``BodyTooLarge`` inside the app. The app may not let
that exception through (FastAPI turns any error while parsing a JSON or form body into its own
400), so whatever the app answers after the cap was passed is dropped and the 413 sent instead.
"""

from __future__ import annotations

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stixflow.api.errors import error_body


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        too_large = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            if too_large:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                return  # the app's own answer to the cut body: the 413 replaces it
            started = True
            await send(message)

        with contextlib.suppress(BodyTooLarge):  # a streamed answer already begun just ends
            await self.app(scope, counting_receive, guarded_send)
        if too_large and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_body(413, f"request body over the limit of {self.max_bytes} bytes")
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    """Raised inside the app when the streamed body passes the cap."""


class NulInUrl:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"")
        ):
            response = error_body(400, "a URL may not hold NUL characters (%00)")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
