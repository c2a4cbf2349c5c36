"""The remote stixflow a synchroniser follows: validate its URL and token, list its streams,
check that one stream answers (a ``connected`` event). Every call has a timeout; TLS is verified
unless the synchroniser says otherwise."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from httpx_sse import SSEError, connect_sse

from stixflow.errors import InvalidInput

TIMEOUT = 15.0


class RemotePlatform:
    def __init__(self, uri: str, token: str, *, verify: bool = True) -> None:
        self.uri = uri.rstrip("/")
        self.token = token
        self.verify = verify

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, *, read_timeout: float = TIMEOUT) -> httpx.Client:
        return httpx.Client(
            headers=self.headers,
            verify=self.verify,
            timeout=httpx.Timeout(TIMEOUT, read=read_timeout),
            follow_redirects=False,
        )

    def stream_url(self, stream_id: str) -> str:
        return f"{self.uri}/stream/{stream_id}"

    def streams(self) -> list[dict[str, Any]]:
        """The live streams the token may read; InvalidInput when the remote refuses."""
        try:
            with self.client() as http:
                answer = http.get(f"{self.uri}/api/streams")
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            raise InvalidInput(f"cannot reach {self.uri}: {exc}") from exc
        if answer.status_code != 200:
            raise InvalidInput(f"{self.uri} refused the token: {answer.status_code} {_why(answer)}")
        found: list[dict[str, Any]] = answer.json()
        return found

    def test(self, stream_id: str) -> dict[str, Any]:
        """Open the stream and read its ``connected`` event (the stream's info)."""
        try:
            with (
                self.client() as http,
                connect_sse(http, "GET", self.stream_url(stream_id)) as source,
            ):
                if source.response.status_code != 200:
                    source.response.read()
                    raise InvalidInput(
                        f"stream {stream_id}: {source.response.status_code} {_why(source.response)}"
                    )
                for sse in source.iter_sse():
                    if sse.event == "connected":
                        info: dict[str, Any] = orjson.loads(sse.data)
                        return info
                    break
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, SSEError) as exc:
            raise InvalidInput(f"cannot open stream {stream_id} on {self.uri}: {exc}") from exc
        raise InvalidInput(f"stream {stream_id} on {self.uri} did not say connected")


def _why(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", ""))
    except ValueError:
        return answer.text[:200]
