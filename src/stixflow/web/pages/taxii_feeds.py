"""``/data/ingestion/taxii``: TAXII 2.1 collections polled for new objects (INGESTION)."""

from __future__ import annotations

from stixflow.ingest.schemas import TaxiiCreate, TaxiiUpdate
from stixflow.web.pages.feed_routes import feed_router
from stixflow.web.pages.feed_tabs import FeedTab

TAXII = FeedTab(
    kind="taxii",
    label="TAXII feed",
    intro="Ingest a TAXII 2.1 collection from a TAXII server or another platform.",
    create_model=TaxiiCreate,
    update_model=TaxiiUpdate,
)

router = feed_router(TAXII)
