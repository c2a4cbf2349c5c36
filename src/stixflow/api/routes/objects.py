from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Query, Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.filters import object_filters
from stixflow.api.schemas import ObjectPage, StoredObjectOut
from stixflow.errors import AccessDenied, NotFound
from stixflow.runtime import Runtime
from stixflow.store.base import ObjectQuery

router = APIRouter(prefix="/api/objects", tags=["knowledge"])
reader = require(Capability.KNOWLEDGE)
writer = require(Capability.KNOWLEDGE_UPDATE)


@router.get("", response_model=ObjectPage)
def list_objects(
    filters: ObjectQuery = Depends(object_filters),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=200),
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> ObjectPage:
    query = replace(filters, limit=limit, cursor=cursor)
    page = runtime.store.query(query, access=caller.access)
    return ObjectPage(objects=page.objects, next_cursor=page.next_cursor)


@router.get("/{object_id}", response_model=StoredObjectOut)
def get_object(
    object_id: str,
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> StoredObjectOut:
    stored = runtime.store.get(object_id, access=caller.access)
    if stored is None:
        raise NotFound(f"no object {object_id}")
    return StoredObjectOut(
        object=stored.data,
        first_seen=stored.first_seen,
        last_seen=stored.last_seen,
        sources=stored.sources,
        creators=stored.creators,
        aliases=stored.aliases,
        missing_refs=stored.missing_refs,
    )


@router.get("/{object_id}/relationships", response_model=list[dict[str, Any]])
def object_relationships(
    object_id: str,
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> list[dict[str, Any]]:
    if runtime.store.get(object_id, access=caller.access) is None:
        raise NotFound(f"no object {object_id}")
    return runtime.store.relationships(object_id, access=caller.access)


@router.delete("/{object_id}", status_code=204, response_class=Response, response_model=None)
def delete_object(
    object_id: str,
    caller: Caller = Depends(writer),
    runtime: Runtime = Depends(get_runtime),
) -> None:
    """Delete an object the caller may see whole (403 when a part of it is hidden from them)."""
    if runtime.store.get(object_id, access=caller.access) is None:
        raise NotFound(f"no object {object_id}")
    if not runtime.store.delete(object_id, writer=caller.access):
        raise AccessDenied(
            Capability.KNOWLEDGE_UPDATE,
            f"cannot delete {object_id}: it has markings you may not read",
        )
