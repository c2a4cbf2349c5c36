"""The Jinja2 environment (autoescaped, templates shipped in the package) and ``render``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from stixflow import __version__
from stixflow.api.deps import Caller

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

NAV = (
    ("dashboard", "Dashboard", "/"),
    ("objects", "Knowledge", "/knowledge/objects"),
    ("ingestion", "Data \u203a Ingestion", "/data/ingestion/connectors"),
    ("csv-mappers", "Data \u203a CSV mappers", "/data/csv-mappers"),
    ("import", "Data \u203a Import", "/data/import"),
)

INGESTION_TABS = (
    ("connectors", "Connectors", "/data/ingestion/connectors"),
    ("streams", "Live streams", "/data/ingestion/streams"),
    ("taxii", "TAXII feeds", "/data/ingestion/taxii"),
    ("taxii-push", "TAXII Push", "/data/ingestion/taxii-push"),
    ("rss", "RSS feeds", "/data/ingestion/rss"),
    ("csv", "CSV feeds", "/data/ingestion/csv"),
)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["number"] = number
    env.globals.update(nav=NAV, ingestion_tabs=INGESTION_TABS, version=__version__)
    return env


def render(
    request: Request,
    template: str,
    *,
    caller: Caller | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """``template`` rendered with ``request``, ``caller`` and ``context`` as an HTML response."""
    page = environment().get_template(template)
    html = page.render(
        request=request,
        caller=caller,
        htmx=bool(request.headers.get("hx-request")),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def when(stamp: str | None) -> str:
    """A STIX timestamp as "2026-11-25 19:20 UTC (3 min ago)"; "never" for None."""
    if not stamp:
        return "never"
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC ({_ago(datetime.now(UTC) - moment)})"


def _ago(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def number(value: int | float | None) -> str:
    return "\u2013" if value is None else f"{value:,}"
