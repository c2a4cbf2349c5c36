"""Live-stream fixtures: the TAXII tests' loopback server and users, and an SSE collector."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from httpx_sse import connect_sse

from tests.taxii.conftest import admin_token, live, make_user, worker

__all__ = ["admin_token", "collect", "live", "make_user", "worker"]


def collect(
    url: str,
    token: str | None,
    *,
    until: Callable[[list[dict[str, Any]]], bool],
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15.0,
) -> list[dict[str, Any]]:
    """SSE events (``{"id", "event", "data"}``) read until ``until(events)`` holds."""
    found: list[dict[str, Any]] = []
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + timeout
    with (
        httpx.Client(timeout=httpx.Timeout(10.0, read=5.0)) as client,
        connect_sse(
            client,
            "GET",
            url,
            params={"heartbeat": 0.3, **(params or {})},
            headers={**auth, **(headers or {})},
        ) as source,
    ):
        source.response.raise_for_status()
        for sse in source.iter_sse():
            found.append({"id": sse.id or None, "event": sse.event, "data": orjson.loads(sse.data)})
            if until(found) or time.monotonic() > deadline:
                break
    return found


def data_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] not in ("connected", "heartbeat")]
