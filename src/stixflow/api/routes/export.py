"""``GET /api/export``: one STIX 2.1 bundle (§8) of what the caller may see. Capability: EXPLORE.

Same filters as ``GET /api/objects``; the bundle is streamed page by page, never held whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.runtime import Runtime
from stixflow.store.base import Access, KnowledgeStore, ObjectQuery

router = APIRouter(prefix="/api", tags=["knowledge"])
explorer = require(Capability.EXPLORE)
PAGE = 1000


def export_query(
    type: list[str] = Query(default=[], max_length=50),
    text: str | None = Query(None, max_length=200),
    marking: str | None = Query(None, max_length=200),
    author: str | None = Query(None, max_length=200),
    source: str | None = Query(None, max_length=200),
    creator: str | None = Query(None, max_length=200),
    modified_after: str | None = Query(None, max_length=40),
    modified_before: str | None = Query(None, max_length=40),
) -> ObjectQuery:
    return ObjectQuery(
        types=tuple(type),
        text=text,
        marking=marking,
        author=author,
        source=source,
        creator=creator,
        modified_after=modified_after,
        modified_before=modified_before,
        limit=PAGE,
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/stix+json;version=2.1": {}}}},
)
def export_bundle(
    query: ObjectQuery = Depends(export_query),
    caller: Caller = Depends(explorer),
    runtime: Runtime = Depends(get_runtime),
) -> StreamingResponse:
    """Every visible object matching the filters, as one bundle."""
    return StreamingResponse(
        bundle_chunks(runtime.store, query, caller.access),
        media_type="application/stix+json;version=2.1",
        headers={"Content-Disposition": 'attachment; filename="stixflow-export.json"'},
    )


def bundle_chunks(store: KnowledgeStore, query: ObjectQuery, access: Access) -> Iterator[bytes]:
    yield b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":['
    first = True
    while True:
        page = store.query(query, access=access)
        for obj in page.objects:
            yield (b"" if first else b",") + orjson.dumps(obj)
            first = False
        if page.next_cursor is None:
            break
        query = replace(query, cursor=page.next_cursor)
    yield b"]}\n"
