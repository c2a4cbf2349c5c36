"""Request latency per route, for this API process (``stixflow_http_request_duration_seconds``)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestTimer:
    """ASGI middleware: the time to the response's start, labelled by the matched route's path
    template (``/api/works/{work_id}``, never the raw path: ids would explode the label set)."""

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry) -> None:
        self.app = app
        self.histogram = Histogram(
            "stixflow_http_request_duration_seconds",
            "Time to answer an HTTP request, per route",
            ["method", "route", "status"],
            registry=registry,
            buckets=BUCKETS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = route_of(scope)
            self.histogram.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )


def route_of(scope: Scope) -> str:
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", "other"))
    return "unmatched"
