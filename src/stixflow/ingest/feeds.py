"""RSS and Atom documents → feed items: a pure function over bytes (fetching is elsewhere).

Parsed by feedparser (RSS 0.9x/1.0/2.0, Atom 0.3/1.0). Before it sees a byte, the document is
checked with defusedxml: a document that declares XML entities (the "billion laughs" and external
entity attacks) is refused outright. A document that is not well-formed XML is refused too, with
the parser's message (feedparser would guess at it; a guessed feed is not intelligence). HTML in
summaries becomes Markdown (``markup``: plain text when nested too deep to convert safely), so no
raw HTML reaches the knowledge base.
"""

from __future__ import annotations

import calendar
import re
import time
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree
import feedparser

from stixflow.errors import SourceError
from stixflow.ingest.common import parse_timestamp
from stixflow.ingest.markup import HTML_HINT, to_markdown

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True)
class FeedItem:
    key: str
    title: str
    link: str | None
    description: str
    published: datetime | None
    labels: tuple[str, ...] = ()


@dataclass
class Feed:
    title: str
    link: str | None
    items: list[FeedItem] = field(default_factory=list)


def refuse_entities(body: bytes) -> None:
    """SourceError when the document declares XML entities (expansion is never allowed)."""
    try:
        defusedxml.ElementTree.fromstring(body, forbid_dtd=False, forbid_entities=True)
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise SourceError(f"refused: the document declares XML entities ({exc})") from exc
    except (ParseError, ValueError, UnicodeError):
        pass  # not well-formed: feedparser says why below
    if _ENTITY_DECLARATION.search(body):
        raise SourceError("refused: the document declares XML entities")


def parse_feed(body: bytes, *, content_type: str | None = None) -> Feed:
    """The feed's items, in document order; SourceError for what is not a usable feed."""
    if not body.strip():
        raise SourceError("the feed is empty")
    refuse_entities(body)
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXException):
        raise SourceError(f"ill-formed feed: {problem}")
    if not parsed.get("version") and not parsed.entries:
        raise SourceError("not an RSS or Atom feed")
    info = parsed.feed
    feed_date = _date(info, ("updated_parsed", "published_parsed"))
    feed = Feed(title=_text(info.get("title") or ""), link=info.get("link"))
    for entry in parsed.entries:
        item = _item(entry, feed_date)
        if item is not None:
            feed.items.append(item)
    return feed


def _item(entry: Any, feed_date: datetime | None) -> FeedItem | None:
    title = _text(entry.get("title") or "")
    if not title:
        return None
    link = (entry.get("link") or "").strip() or None
    key = (entry.get("id") or "").strip() or link
    published = _date(entry, ("published_parsed", "updated_parsed", "created_parsed"))
    if key is None:
        key = f"{title}|{published or ''}"
    return FeedItem(
        key=key,
        title=title,
        link=link,
        description=to_markdown(_summary(entry)),
        published=published or feed_date,
        labels=_labels(entry),
    )


def _summary(entry: Any) -> str:
    summary = entry.get("summary") or ""
    if summary.strip():
        return str(summary)
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if value.strip():
            return str(value)
    return ""


def _labels(entry: Any) -> tuple[str, ...]:
    terms = (_text(tag.get("term") or "") for tag in entry.get("tags") or [])
    return tuple(dict.fromkeys(term for term in terms if term))


def _date(source: Any, keys: tuple[str, ...]) -> datetime | None:
    """The first date found: RFC 3339 text as written (keeps fractions), else feedparser's."""
    for key in keys:
        text = dict.get(source, key.removesuffix("_parsed"))  # no feedparser key mapping
        exact = parse_timestamp(text) if isinstance(text, str) and "T" in text else None
        if exact is not None:
            return exact
        value = dict.get(source, key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _text(value: str) -> str:
    """A one-line plain text (titles may carry markup)."""
    return (
        " ".join(to_markdown(value).split()) if HTML_HINT.search(value) else " ".join(value.split())
    )
