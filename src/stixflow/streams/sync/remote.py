"""The remote stixflow a synchroniser follows: validate its URL and token, list its streams,
check that one stream answers (a ``connected`` event). Every call has a timeout and obeys the
outbound policy; TLS is verified unless the synchroniser says otherwise; redirects are not
followed. What the remote answers is parsed without recursion and checked for shape: a remote
that answers something else gets a one-line ``SourceError``, never its body quoted."""

from __future__ import annotations

from typing import Any

import httpx
from httpx_sse import SSEError, connect_sse
from pydantic import BaseModel, TypeAdapter, ValidationError

from stixflow.errors import InvalidInput, OutboundRefused, SourceError
from stixflow.net.answers import describe_failure, describe_media_type, parse_json
from stixflow.net.checks import Outbound
from stixflow.net.transport import guarded_client

TIMEOUT = 15.0
MAX_LIST_BYTES = 4 * 1024 * 1024
REFUSALS = frozenset({401, 403})


class RemoteStream(BaseModel):
    """One entry of the remote's ``/api/streams`` (what a synchroniser needs of it)."""

    id: str
    name: str
    description: str = ""
    running: bool = True


_STREAMS = TypeAdapter(list[RemoteStream])


class RemotePlatform:
    def __init__(self, uri: str, token: str, *, outbound: Outbound, verify: bool = True) -> None:
        self.uri = uri.rstrip("/")
        self.token = token
        self.outbound = outbound
        self.verify = verify

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, *, read_timeout: float = TIMEOUT) -> httpx.Client:
        connect = self.outbound.connect_timeout(TIMEOUT)
        return guarded_client(
            self.outbound.policy,
            verify=self.verify,
            headers=self.headers,
            timeout=httpx.Timeout(TIMEOUT, connect=connect, read=read_timeout),
        )

    def stream_url(self, stream_id: str) -> str:
        return f"{self.uri}/stream/{stream_id}"

    def streams(self) -> list[RemoteStream]:
        """The live streams the token may read; InvalidInput when the remote refuses it."""
        url = f"{self.uri}/api/streams"
        try:
            with self.client() as http, http.stream("GET", url) as answer:
                body = _read_capped(answer, MAX_LIST_BYTES) if answer.status_code == 200 else b""
        except OutboundRefused as exc:
            raise OutboundRefused(f"{self.uri}: {exc}") from exc
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            raise InvalidInput(f"cannot reach {self.uri}: {describe_failure(exc)}") from exc
        _check_status(answer, url)
        try:
            return _STREAMS.validate_python(parse_json(body, source=url))
        except ValidationError as exc:
            raise SourceError(f"{url}: the answer is not a list of live streams") from exc

    def test(self, stream_id: str) -> dict[str, Any]:
        """Open the stream and read its ``connected`` event (the stream's info)."""
        url = self.stream_url(stream_id)
        try:
            with self.client() as http, connect_sse(http, "GET", url) as source:
                _check_status(source.response, url)
                for sse in source.iter_sse():
                    if sse.event == "connected":
                        return _info(sse.data, url)
                    break
        except OutboundRefused as exc:
            raise OutboundRefused(f"{self.uri}: {exc}") from exc
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, SSEError) as exc:
            why = describe_failure(exc)
            raise InvalidInput(f"cannot open stream {stream_id} on {self.uri}: {why}") from exc
        raise SourceError(f"stream {stream_id} on {self.uri} did not say connected")


def _check_status(answer: httpx.Response, url: str) -> None:
    status = answer.status_code
    if status == 200:
        return
    kind = describe_media_type(answer.headers.get("Content-Type"))
    if status in REFUSALS:
        raise InvalidInput(f"{url}: the remote refused the token: {status} ({kind})")
    raise SourceError(f"{url} answered {status} ({kind})")


def _info(data: str, url: str) -> dict[str, Any]:
    info = parse_json(data, source=url)
    if not isinstance(info, dict):
        raise SourceError(f"{url}: the connected event is not a JSON object")
    return info


def _read_capped(answer: httpx.Response, cap: int) -> bytes:
    parts, size = [], 0
    for part in answer.iter_bytes():
        size += len(part)
        if size > cap:
            raise SourceError(f"{answer.url}: the answer is over {cap} bytes")
        parts.append(part)
    return b"".join(parts)
