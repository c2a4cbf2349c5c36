"""Feed kinds by name: ``taxii``, ``rss`` and ``csv`` (a new kind is a ``FeedKind`` listed here)."""

from __future__ import annotations

from pydantic import BaseModel

from stixflow.errors import NotFound
from stixflow.ingest.base import FeedKind
from stixflow.ingest.csv import CsvFeed
from stixflow.ingest.rss import RssFeed
from stixflow.ingest.schemas import (
    CsvCreate,
    CsvUpdate,
    RssCreate,
    RssUpdate,
    TaxiiCreate,
    TaxiiUpdate,
)
from stixflow.ingest.taxii import TaxiiFeed

KINDS: dict[str, type[FeedKind]] = {"taxii": TaxiiFeed, "rss": RssFeed, "csv": CsvFeed}
CREATE_MODELS: dict[str, type[BaseModel]] = {
    "taxii": TaxiiCreate,
    "rss": RssCreate,
    "csv": CsvCreate,
}
UPDATE_MODELS: dict[str, type[BaseModel]] = {
    "taxii": TaxiiUpdate,
    "rss": RssUpdate,
    "csv": CsvUpdate,
}


def feed_kind(kind: str) -> FeedKind:
    try:
        return KINDS[kind]()
    except KeyError:
        raise NotFound(f"no ingester kind {kind!r} (known: {', '.join(KINDS)})") from None
