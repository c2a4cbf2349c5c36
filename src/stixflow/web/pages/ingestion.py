"""What every ingestion tab shares: who may manage ingesters, the tab page, the user choices."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from stixflow.access import users
from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller
from stixflow.runtime import Runtime
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


def user_choices(runtime: Runtime) -> list[tuple[str, str]]:
    """The users who may be made responsible for an ingester's data: (id, "name (email)")."""
    with runtime.db.read() as tx:
        return [(user.id, f"{user.name} ({user.email})") for user in users.list_users(tx)]
