"""``/data/ingestion/rss``: RSS and Atom feeds, one report per new item (capability INGESTION)."""

from __future__ import annotations

from stixflow.ingest.schemas import RssCreate, RssUpdate
from stixflow.web.pages.feed_routes import feed_router
from stixflow.web.pages.feed_tabs import FeedTab

RSS = FeedTab(
    kind="rss",
    label="RSS feed",
    intro="Each new item of an RSS or Atom feed becomes a report.",
    create_model=RssCreate,
    update_model=RssUpdate,
    clearable={"author": None, "markings": [], "report_types": []},
)

router = feed_router(RSS)
