"""Feed kinds by name: ``taxii`` and ``rss`` (a new kind is a ``FeedKind`` listed here)."""

from __future__ import annotations

from pydantic import BaseModel

from stixflow.errors import NotFound
from stixflow.ingest.base import FeedKind
from stixflow.ingest.rss import RssFeed
from stixflow.ingest.schemas import RssCreate, RssUpdate, TaxiiCreate, TaxiiUpdate
from stixflow.ingest.taxii import TaxiiFeed

KINDS: dict[str, type[FeedKind]] = {"taxii": TaxiiFeed, "rss": RssFeed}
CREATE_MODELS: dict[str, type[BaseModel]] = {"taxii": TaxiiCreate, "rss": RssCreate}
UPDATE_MODELS: dict[str, type[BaseModel]] = {"taxii": TaxiiUpdate, "rss": RssUpdate}


def feed_kind(kind: str) -> FeedKind:
    try:
        return KINDS[kind]()
    except KeyError:
        raise NotFound(f"no ingester kind {kind!r} (known: {', '.join(KINDS)})") from None
