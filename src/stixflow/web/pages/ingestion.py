"""What every ingestion tab shares: who may manage ingesters, and the tab page itself."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller
from stixflow.web.session import page_require
from stixflow.web.templating import render

manager = page_require(Capability.INGESTION)
CLOSE_MODAL = {"HX-Trigger": "close-modal"}


def tab_page(
    request: Request, caller: Caller, *, tab: str, part: str | None, context: dict[str, Any]
) -> Response:
    """The tab ``ingestion/<tab>.html``; with ``part=table`` only its table (to refresh it)."""
    template = f"ingestion/{tab}_table.html" if part == "table" else f"ingestion/{tab}.html"
    return render(request, template, caller=caller, active="ingestion", tab=tab, **context)
