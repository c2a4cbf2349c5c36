"""The remote platform a synchroniser follows (an OpenCTI or a stixflow), validated as OpenCTI's
own synchroniser validates one: its URL and token answer OpenCTI's stream-listing GraphQL query
(``streamCollections``) with the streams the token may read, and the chosen stream answers
``connected`` with a connection id. Every call has a timeout and obeys the
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
#: What OpenCTI's synchroniser sends to list a remote's streams (its sync domain).
STREAMS_QUERY = (
    "query SyncCreationStreamCollectionQuery { streamCollections(first: 1000) "
    "{ edges { node { id name description filters } } } }"
)


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
        url = f"{self.uri}/graphql"
        try:
            with (
                self.client() as http,
                http.stream("POST", url, json={"query": STREAMS_QUERY}) as answer,
            ):
                body = _read_capped(answer, MAX_LIST_BYTES) if answer.status_code < 500 else b""
        except OutboundRefused as exc:
            raise OutboundRefused(f"{self.uri}: {exc}") from exc
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            raise InvalidInput(f"cannot reach {self.uri}: {describe_failure(exc)}") from exc
        if answer.status_code != 400:  # GraphQL errors may come with a 400: read below
            _check_status(answer, url)
        return _stream_list(parse_json(body, source=url), url)

    def test(self, stream_id: str) -> dict[str, Any]:
        """Open the stream and read its ``connected`` event (the stream's info)."""
        url = self.stream_url(stream_id)
        try:
            with self.client() as http, connect_sse(http, "GET", url) as source:
                _check_status(source.response, url)
                for sse in source.iter_sse():
                    if sse.event == "connected":
                        return _connected(sse.data, url)
                    break
        except OutboundRefused as exc:
            raise OutboundRefused(f"{self.uri}: {exc}") from exc
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, SSEError) as exc:
            why = describe_failure(exc)
            raise InvalidInput(f"cannot open stream {stream_id} on {self.uri}: {why}") from exc
        raise SourceError(f"stream {stream_id} on {self.uri} did not say connected")


def _stream_list(answer: Any, url: str) -> list[RemoteStream]:
    """The streams of a ``streamCollections`` answer; a GraphQL error is the remote's refusal
    (OpenCTI answers an unknown token with an authentication error, HTTP 200)."""
    if not isinstance(answer, dict):
        raise SourceError(f"{url}: the answer is not a GraphQL response")
    errors = answer.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else {}
        message = str(first.get("message", "error"))[:200] if isinstance(first, dict) else "error"
        raise InvalidInput(f"{url}: the remote refused to list its streams: {message}")
    try:
        edges = answer["data"]["streamCollections"]["edges"]
        nodes = [edge["node"] for edge in edges]
        listed = [
            {
                **node,
                "description": node.get("description") or "",
                "running": node.get("stream_live", True),
            }
            for node in nodes
        ]
        return _STREAMS.validate_python(listed)
    except (KeyError, TypeError, ValidationError) as exc:
        raise SourceError(f"{url}: the answer is not a list of live streams") from exc


def _check_status(answer: httpx.Response, url: str) -> None:
    status = answer.status_code
    if status == 200:
        return
    kind = describe_media_type(answer.headers.get("Content-Type"))
    if status in REFUSALS:
        raise InvalidInput(f"{url}: the remote refused the token: {status} ({kind})")
    raise SourceError(f"{url} answered {status} ({kind})")


def _connected(data: str, url: str) -> dict[str, Any]:
    """The ``connected`` event's data, which must name the connection (OpenCTI's check)."""
    info = parse_json(data, source=url)
    if not isinstance(info, dict):
        raise SourceError(f"{url}: the connected event is not a JSON object")
    if not (info.get("connectionId") or info.get("connection_id")):
        raise SourceError(f"{url}: the stream gave no connection id")
    return info


def _read_capped(answer: httpx.Response, cap: int) -> bytes:
    parts, size = [], 0
    for part in answer.iter_bytes():
        size += len(part)
        if size > cap:
            raise SourceError(f"{answer.url}: the answer is over {cap} bytes")
        parts.append(part)
    return b"".join(parts)
