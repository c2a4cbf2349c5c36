"""Helpers for the TAXII tests: bearer auth for requests, objects written straight to the store."""

from __future__ import annotations

from typing import Any

import requests

from stixflow.clock import now
from stixflow.runtime import Runtime
from stixflow.store.base import Provenance


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def write(runtime: Runtime, objects: list[dict[str, Any]], source: str = "test") -> str:
    """Write objects as one transaction (no queue); return the time they were added."""
    stamp = now()
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, objects, provenance=Provenance(seen_at=stamp, source=source))
    return stamp
