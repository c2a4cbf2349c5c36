"""``/knowledge/objects``: search the knowledge base; ``/knowledge/objects/<id>``: one object."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.runtime import Runtime
from stixflow.store import stats
from stixflow.store.base import ObjectQuery
from stixflow.store.missing import missing_refs
from stixflow.web import objects_view
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter(prefix="/knowledge/objects")
reader = page_require(Capability.KNOWLEDGE)
PAGE_SIZE = 50
#: What an htmx request's target gets: the results area (search) or more rows (load more).
FULL_PAGE = "knowledge/objects.html"
PARTIALS = {"objects-results": "knowledge/_results.html", "load-more": "knowledge/_rows.html"}


@router.get("")
def list_objects(
    request: Request,
    text: str | None = Query(None, max_length=200),
    type: str | None = Query(None, max_length=100),
    marking: str | None = Query(None, max_length=200),
    source: str | None = Query(None, max_length=200),
    cursor: str | None = Query(None, max_length=200),
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    filters = {"text": text, "type": type, "marking": marking, "source": source}
    filters = {key: value.strip() for key, value in filters.items() if value and value.strip()}
    query = ObjectQuery(
        types=(filters["type"],) if "type" in filters else (),
        text=filters.get("text"),
        marking=filters.get("marking"),
        source=filters.get("source"),
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    page = runtime.store.query(query, access=caller.access)
    more = f"?{urlencode({**filters, 'cursor': page.next_cursor})}" if page.next_cursor else None
    template = PARTIALS.get(request.headers.get("hx-target", ""), FULL_PAGE)
    options = _filter_options(runtime, caller) if template == FULL_PAGE else {}
    return render(
        request,
        template,
        caller=caller,
        active="objects",
        filters=filters,
        rows=objects_view.list_rows(runtime, page.objects, caller.access),
        more_url=f"/knowledge/objects{more}" if more else None,
        continued=bool(cursor),
        **options,
    )


def _filter_options(runtime: Runtime, caller: Caller) -> dict[str, Any]:
    """The choices of the type, marking and source filters, and the count of references to
    objects not held (``store.missing``)."""
    types = sorted(runtime.store.count_by_type(access=caller.access))
    markings = objects_view.markings_by_id(runtime, caller.access)
    sources = stats.source_labels(runtime.db, stats.known_sources(runtime.db))
    missing, _ = missing_refs(runtime.db, caller.access, limit=1)
    return {
        "missing_count": missing,
        "type_options": [(t, t) for t in types],
        "marking_options": sorted(markings.items(), key=lambda item: item[1]),
        "source_options": sorted(sources.items(), key=lambda item: item[1].lower()),
    }


@router.get("/{object_id}")
def show_object(
    request: Request,
    object_id: str,
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    details = objects_view.object_details(runtime, object_id, caller.access)
    return render(
        request,
        "knowledge/object.html",
        caller=caller,
        active="objects",
        details=details,
        raw=orjson.dumps(details.data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode(),
    )
