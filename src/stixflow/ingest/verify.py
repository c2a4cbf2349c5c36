"""The check of a feed's URL when a feed is created (or its source changes): one rule for every
kind (CSV, RSS, TAXII).

The URL is fetched once with the feed's own settings and credentials; the feed is refused with one
line naming the URL and what is wrong (``InvalidInput``, HTTP 400), never any of the answer's body:

* the request failed (refused connection, timeout, TLS): the failure in a few words;
* the status is not 200: the status and what it means (401: authentication failed…);
* the content type is not one the kind reads (an HTML page answering 200 is a login or landing
  page, not a feed): the content type and what was expected.

What the kind then does with the body (map the first rows, parse the feed) says the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stixflow.errors import InvalidInput, SourceError
from stixflow.ingest.http import Fetched, HttpClient
from stixflow.ingest.records import Ingester
from stixflow.net.answers import describe_media_type

#: What a status means to someone creating a feed.
STATUS_REASONS = {
    400: "the server refused the request",
    401: "authentication failed: check the credentials",
    403: "access denied: check the credentials and what this account may read",
    404: "not found: check the URL",
    406: "the server cannot answer in a format this feed reads",
    407: "the proxy asks for authentication",
    410: "gone: the feed was removed",
    429: "rate limited by the server",
}


def status_reason(status: int) -> str:
    if status in STATUS_REASONS:
        return STATUS_REASONS[status]
    if status >= 500:
        return "the server failed"
    return "not a usable answer"


def fetch_checked(
    http: HttpClient,
    url: str,
    *,
    expected: str,
    accepts: Callable[[str], bool],
    reasons: Mapping[int, str] | None = None,
) -> Fetched:
    """``url`` fetched and checked: status 200 and a content type ``accepts`` (``expected``
    names it for the message). InvalidInput with a one-line reason otherwise (``reasons``: the
    kind's own words for some statuses)."""
    try:
        fetched = http.get(url)
    except SourceError as exc:
        message = str(exc)  # usually names the URL already
        shown = message if message.startswith(url) else f"{url}: {message}"
        raise InvalidInput(f"cannot use {shown}") from exc
    media = describe_media_type(fetched.headers.get("Content-Type"))
    if fetched.status != 200:
        raise InvalidInput(
            f"cannot use {url}: it answered {fetched.status}, "
            f"{(reasons or {}).get(fetched.status) or status_reason(fetched.status)} ({media})"
        )
    if not accepts(media):
        raise InvalidInput(f"cannot use {url}: it answered {media}, not {expected}")
    return fetched


def csv_media(media: str) -> bool:
    """CSV as servers label it (text/csv, text/plain, a download…), not a page or a document."""
    return not (media == "text/html" or "json" in media or "xml" in media)


def feed_media(media: str) -> bool:
    """RSS or Atom as servers label them (any XML, text/plain, unlabelled), not a web page."""
    return media != "text/html" and "json" not in media


def taxii_media(media: str) -> bool:
    """A TAXII 2.1 answer (application/taxii+json, or plain JSON from lenient servers)."""
    return media in ("application/taxii+json", "application/json")


def probe_ingester(
    kind: str, config: dict[str, Any], secret: dict[str, Any], settings: Any
) -> Ingester:
    """A throw-away ingester holding a create's settings, to build the kind's HTTP client."""
    return Ingester(
        id="",
        kind=kind,
        name="test",
        description="",
        source="test",
        running=False,
        user_id=None,
        created_by=None,
        import_from=None,
        scheduling_period="PT1H",
        config={
            **config,
            "timeout_seconds": getattr(settings, "timeout_seconds", 30.0),
            "verify_tls": getattr(settings, "verify_tls", True),
            "proxy": getattr(settings, "proxy", None),
        },
        secret=secret,
    )
