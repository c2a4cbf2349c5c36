"""Reading a connector's source: a local file or an http(s) URL, with a timeout and a size cap."""

from __future__ import annotations

from pathlib import Path

import httpx

from stixflow.errors import PayloadTooLarge, SourceError

MAX_BYTES = 512 * 1024 * 1024


def fetch(source: str, *, timeout: float = 60.0, max_bytes: int = MAX_BYTES) -> bytes:
    if not source.startswith(("http://", "https://")):
        path = Path(source.removeprefix("file://"))
        if path.stat().st_size > max_bytes:
            raise PayloadTooLarge(f"{path} is over {max_bytes} bytes")
        return path.read_bytes()
    try:
        with httpx.stream("GET", source, timeout=timeout, follow_redirects=True) as response:
            response.raise_for_status()
            body = bytearray()
            for part in response.iter_bytes():
                body += part
                if len(body) > max_bytes:
                    raise PayloadTooLarge(f"{source} is over {max_bytes} bytes")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise SourceError(f"{source}: {exc}") from exc
