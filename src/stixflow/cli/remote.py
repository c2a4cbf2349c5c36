"""A small HTTP client for a remote stixflow instance (``--url`` and ``--token``).

Every call has a timeout and verifies TLS; error responses become the domain errors they came
from (``{"error": message}`` bodies), so a command fails the same way locally and remotely.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from stixflow.errors import (
    AccessDenied,
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    SourceError,
    StixflowError,
    Unauthenticated,
)

DEFAULT_TIMEOUT = 30.0


def segment(value: str) -> str:
    """A path segment: ``alice@example.org`` and ``TLP:RED`` stay one segment."""
    return quote(value, safe="")


class ApiClient:
    def __init__(self, url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for 204); a StixflowError for an error answer."""
        try:
            response = self._http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot reach {self.url}: {exc}") from exc
        if response.status_code >= 400:
            raise _error_of(response)
        return None if response.status_code == 204 else response.json()

    def close(self) -> None:
        self._http.close()


def _error_of(response: httpx.Response) -> StixflowError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = str(body.get("error") or response.text[:200] or response.reason_phrase)
    details = body.get("details")
    if details:
        message += ": " + "; ".join(f"{d.get('where')} {d.get('problem')}" for d in details)
    status = response.status_code
    if status == 403:
        return AccessDenied(str(body.get("capability", "")), message)
    kinds: dict[int, type[StixflowError]] = {
        401: Unauthenticated,
        404: NotFound,
        409: Conflict,
        413: PayloadTooLarge,
    }
    if status in kinds:
        return kinds[status](message)
    if status in (400, 422):
        return InvalidInput(message)
    return SourceError(f"{response.request.url} answered {status}: {message}")
