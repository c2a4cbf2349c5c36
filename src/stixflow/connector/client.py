"""The platform's REST API as a connector uses it (``/api/connectors/...``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from stixflow.connector.config import ConnectorConfig
from stixflow.errors import AccessDenied, NotFound, SourceError, Unauthenticated


class PlatformClient:
    def __init__(self, config: ConnectorConfig, *, transport: httpx.BaseTransport | None = None):
        self.base = f"/api/connectors/{config.id}"
        self.http = httpx.Client(
            base_url=config.url.rstrip("/"),
            headers={"Authorization": f"Bearer {config.token.get_secret_value()}"},
            timeout=config.timeout,
            verify=config.verify_tls,
            transport=transport,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, self.base + path, **kwargs)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SourceError(f"stixflow at {self.http.base_url}: {exc}") from exc
        if response.status_code == 401:
            raise Unauthenticated(response.text)
        if response.status_code == 403:
            raise AccessDenied(response.json().get("capability", "?"), response.text)
        if response.status_code == 404:
            raise NotFound(response.text)
        if response.status_code >= 400:
            raise SourceError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def register(self, config: ConnectorConfig) -> dict[str, Any]:
        body = {"id": config.id, "name": config.name, "type": config.type, "scope": config.scope}
        result: dict[str, Any] = self._request("POST", "/api/connectors", json=body)
        return result

    def state(self) -> dict[str, Any] | None:
        state: dict[str, Any] | None = self._call("GET", "/state")["state"]
        return state

    def put_state(
        self, state: dict[str, Any] | None, info: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any] | None, bool]:
        """Store the state; (stored state, whether a pending reset made the platform ignore it)."""
        answer = self._call("PUT", "/state", json={"state": state, "info": info})
        return answer["state"], bool(answer["reset"])

    def open_work(self, name: str) -> str:
        work_id: str = self._call("POST", "/works", json={"name": name, "multipart": True})["id"]
        return work_id

    def send(self, objects: Sequence[dict[str, Any]], work_id: str) -> int:
        bundle = {"type": "bundle", "id": f"bundle--{work_id}", "objects": list(objects)}
        answer = self._call(
            "POST",
            "/bundles",
            params={"work_id": work_id},
            content=orjson.dumps(bundle),
            headers={"Content-Type": "application/json"},
        )
        return int(answer["expected"])

    def processed(self, work_id: str, *, message: str | None, in_error: bool = False) -> None:
        self._call(
            "POST", f"/works/{work_id}/processed", json={"message": message, "in_error": in_error}
        )

    def close(self) -> None:
        self.http.close()
