"""``GET /api/export``: one STIX 2.1 bundle (§8) of what the caller may see. Capability: EXPLORE.

Same filters as ``GET /api/objects``; the bundle is streamed page by page, never held whole.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.filters import object_filters
from stixflow.runtime import Runtime
from stixflow.store.base import ObjectQuery
from stixflow.store.export import bundle_chunks, iter_objects

router = APIRouter(prefix="/api", tags=["knowledge"])
explorer = require(Capability.EXPLORE)
PAGE = 1000


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/stix+json;version=2.1": {}}}},
)
def export_bundle(
    filters: ObjectQuery = Depends(object_filters),
    caller: Caller = Depends(explorer),
    runtime: Runtime = Depends(get_runtime),
) -> StreamingResponse:
    """Every visible object matching the filters, as one bundle."""
    return StreamingResponse(
        bundle_chunks(iter_objects(runtime.store, replace(filters, limit=PAGE), caller.access)),
        media_type="application/stix+json;version=2.1",
        headers={"Content-Disposition": 'attachment; filename="stixflow-export.json"'},
    )
