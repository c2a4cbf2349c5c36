"""Reading a connector's source: a local file or an http(s) URL, with a timeout and a size cap.

A URL is fetched under the outbound policy (``stixflow.net``): by default loopback, private,
link-local and metadata destinations are refused, on every redirect hop too; a connector whose
source is an internal mirror lists it in ``STIXFLOW_CONNECTOR_OUTBOUND__ALLOW``
(``ConnectorConfig.policy``). Errors name the URL and the status, never the answer's body.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from stixflow.errors import PayloadTooLarge, SourceError
from stixflow.net.answers import describe_failure, describe_media_type
from stixflow.net.policy import OutboundPolicy
from stixflow.net.transport import guarded_client

MAX_BYTES = 512 * 1024 * 1024


def fetch(
    source: str,
    *,
    timeout: float = 60.0,
    max_bytes: int = MAX_BYTES,
    policy: OutboundPolicy | None = None,
) -> bytes:
    if not source.startswith(("http://", "https://")):
        path = Path(source.removeprefix("file://"))
        if path.stat().st_size > max_bytes:
            raise PayloadTooLarge(f"{path} is over {max_bytes} bytes")
        return path.read_bytes()
    client = guarded_client(policy or OutboundPolicy(), timeout=timeout, follow_redirects=True)
    try:
        with client, client.stream("GET", source) as response:
            if response.status_code != 200:
                kind = describe_media_type(response.headers.get("Content-Type"))
                raise SourceError(f"{source} answered {response.status_code} ({kind})")
            return _read_capped(response, source, max_bytes)
    except httpx.HTTPError as exc:
        raise SourceError(f"{source}: {describe_failure(exc)}") from exc


def _read_capped(response: httpx.Response, source: str, max_bytes: int) -> bytes:
    body = bytearray()
    for part in response.iter_bytes():
        body += part
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"{source} is over {max_bytes} bytes")
    return bytes(body)
