"""What a remote answered, read safely: JSON without recursion, a content type for an error.

``parse_json`` never raises anything but ``SourceError`` with a one-line reason: not JSON, or
nested deeper than ``MAX_DEPTH`` (orjson itself stops at 1024 levels, but a document 1000 levels
deep would still crash any recursive code that walks it later). Errors about a remote quote its
status and content type, never its body (``describe_media_type``).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson

from stixflow.errors import SourceError

#: Deepest nesting of arrays and objects accepted from a remote (STIX needs a handful).
MAX_DEPTH = 100
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9!#$&^_.+-]{1,63}$")


def parse_json(data: bytes | str, *, source: str) -> Any:
    """The JSON document in ``data``; SourceError (naming ``source``) when it is not usable."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        why = "nested too deeply" if "recursion" in str(exc) else "not JSON"
        raise SourceError(f"{source}: the answer is {why}") from exc
    if nesting_over(document, MAX_DEPTH):
        raise SourceError(f"{source}: the answer is nested more than {MAX_DEPTH} levels deep")
    return document


def nesting_over(document: Any, limit: int) -> bool:
    """Whether arrays and objects in ``document`` nest more than ``limit`` levels (no
    recursion: a deep document must not crash the check meant to refuse it)."""
    if not isinstance(document, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def describe_media_type(value: str | None) -> str:
    """The media type of a ``Content-Type`` header for an error message (no parameters, no
    other text from the remote)."""
    if not value:
        return "no content type"
    kind = value.split(";", 1)[0].strip().lower()
    return kind if _MEDIA_TYPE.match(kind) else "an unusual content type"


def describe_failure(exc: Exception) -> str:
    """What went wrong with a request, in a few words (no remote bytes)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ProxyError):
        return f"proxy error: {exc}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}"
