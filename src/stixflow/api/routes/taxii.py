"""The TAXII 2.1 server (TAXII 2.1 sections 4 and 5) under ``/taxii2/``: thin routes over
``stixflow.taxii.server``; errors and media types from ``taxii_base``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from stixflow.api.deps import Caller, get_runtime
from stixflow.api.routes.taxii_base import (
    TaxiiResponse,
    TaxiiRoute,
    optional_caller,
    sharing_caller,
)
from stixflow.errors import NotFound, PayloadTooLarge
from stixflow.runtime import Runtime
from stixflow.taxii import resources
from stixflow.taxii.media import Unsupported, check_accept, check_content_type
from stixflow.taxii.push import PushService
from stixflow.taxii.reader import DEFAULT_LIMIT, MAX_LIMIT, Match, parse_added_after, parse_next
from stixflow.taxii.server import TaxiiServer, Viewer

ROOT = f"/taxii2/{resources.API_ROOT}"


def accepted(request: Request) -> None:
    check_accept(request.headers.get("accept"))


router = APIRouter(
    tags=["taxii"],
    route_class=TaxiiRoute,
    dependencies=[Depends(accepted)],
    default_response_class=TaxiiResponse,
)


def viewer_of(caller: Caller | None = Depends(optional_caller)) -> Viewer:
    if caller is None:
        return Viewer(None)
    caller = sharing_caller(caller)
    return Viewer(caller.user_id, caller.is_admin, caller.access)


def match_of(request: Request) -> Match:
    def values(name: str) -> tuple[str, ...]:
        found = request.query_params.getlist(f"match[{name}]")
        return tuple(v.strip() for raw in found for v in raw.split(",") if v.strip())

    return Match(
        ids=values("id"),
        types=values("type"),
        versions=values("version") or ("last",),
        spec_versions=values("spec_version"),
    )


def _server(runtime: Runtime) -> TaxiiServer:
    return TaxiiServer(runtime)


@router.get("/taxii2/")
def discovery(request: Request, viewer: Viewer = Depends(viewer_of)) -> TaxiiResponse:
    base = str(request.base_url).rstrip("/")
    return TaxiiResponse(resources.discovery(base))


@router.get(f"{ROOT}/")
def api_root(
    viewer: Viewer = Depends(viewer_of), runtime: Runtime = Depends(get_runtime)
) -> TaxiiResponse:
    return TaxiiResponse(resources.api_root(runtime.settings.max_body_bytes))


@router.get(f"{ROOT}/collections/")
def list_collections(
    viewer: Viewer = Depends(viewer_of), runtime: Runtime = Depends(get_runtime)
) -> TaxiiResponse:
    found = _server(runtime).collections(viewer)
    return TaxiiResponse({"collections": found} if found else {})


@router.get(f"{ROOT}/collections/{{collection_id}}/")
def get_collection(
    collection_id: str,
    viewer: Viewer = Depends(viewer_of),
    runtime: Runtime = Depends(get_runtime),
) -> TaxiiResponse:
    return TaxiiResponse(_server(runtime).collection(collection_id, viewer))


@router.get(f"{ROOT}/collections/{{collection_id}}/objects/")
def get_objects(
    collection_id: str,
    request: Request,
    limit: int = Query(DEFAULT_LIMIT, ge=1),
    next_token: str | None = Query(None, alias="next"),
    added_after: str | None = Query(None),
    viewer: Viewer = Depends(viewer_of),
    runtime: Runtime = Depends(get_runtime),
) -> TaxiiResponse:
    reader = _server(runtime).reader(collection_id, viewer)
    page = reader.page(
        match_of(request),
        added_after=parse_added_after(added_after),
        limit=min(limit, MAX_LIMIT),
        after=parse_next(next_token),
    )
    return TaxiiResponse(resources.envelope(page), headers=resources.added_headers(page.entries))


@router.get(f"{ROOT}/collections/{{collection_id}}/manifest/")
def get_manifest(
    collection_id: str,
    request: Request,
    limit: int = Query(DEFAULT_LIMIT, ge=1),
    next_token: str | None = Query(None, alias="next"),
    added_after: str | None = Query(None),
    viewer: Viewer = Depends(viewer_of),
    runtime: Runtime = Depends(get_runtime),
) -> TaxiiResponse:
    reader = _server(runtime).reader(collection_id, viewer)
    page = reader.page(
        match_of(request),
        added_after=parse_added_after(added_after),
        limit=min(limit, MAX_LIMIT),
        after=parse_next(next_token),
    )
    return TaxiiResponse(resources.manifest(page), headers=resources.added_headers(page.entries))


@router.get(f"{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
def get_object(
    collection_id: str,
    object_id: str,
    request: Request,
    added_after: str | None = Query(None),
    viewer: Viewer = Depends(viewer_of),
    runtime: Runtime = Depends(get_runtime),
) -> TaxiiResponse:
    reader = _server(runtime).reader(collection_id, viewer)
    entries = reader.one(object_id, match_of(request), added_after=parse_added_after(added_after))
    if not entries:
        raise NotFound(f"no object {object_id} in collection {collection_id}")
    return TaxiiResponse(
        {"more": False, "objects": [entry.obj for entry in entries]},
        headers=resources.added_headers(entries),
    )


@router.get(f"{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/")
def get_versions(
    collection_id: str,
    object_id: str,
    added_after: str | None = Query(None),
    viewer: Viewer = Depends(viewer_of),
    runtime: Runtime = Depends(get_runtime),
) -> TaxiiResponse:
    reader = _server(runtime).reader(collection_id, viewer)
    entries = reader.one(
        object_id, Match(versions=("all",)), added_after=parse_added_after(added_after)
    )
    if not entries:
        raise NotFound(f"no object {object_id} in collection {collection_id}")
    return TaxiiResponse(resources.versions(entries), headers=resources.added_headers(entries))


@router.delete(f"{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
def delete_object(collection_id: str, object_id: str) -> TaxiiResponse:
    raise Unsupported("deleting objects through TAXII is not supported")


@router.post(f"{ROOT}/collections/{{collection_id}}/objects/", status_code=202)
async def add_objects(
    collection_id: str,
    request: Request,
    caller: Caller | None = Depends(optional_caller),
    runtime: Runtime = Depends(get_runtime),
) -> TaxiiResponse:
    """Add Objects (§5.5) to a TAXII Push collection; answers with a status resource."""
    caller = sharing_caller(caller)
    check_content_type(request.headers.get("content-type"))
    body = await _body(request, runtime.settings.max_body_bytes)
    service = PushService(runtime, actor=caller.actor)
    status = await run_in_threadpool(
        service.add_objects,
        collection_id,
        body,
        user_id=caller.user_id,
        is_admin=caller.is_admin,
    )
    return TaxiiResponse(status, 202)


@router.get(f"{ROOT}/status/{{status_id}}/")
@router.get(f"{ROOT}/status/{{status_id}}", include_in_schema=False)
def get_status(
    status_id: str,
    caller: Caller | None = Depends(optional_caller),
    runtime: Runtime = Depends(get_runtime),
) -> TaxiiResponse:
    caller = sharing_caller(caller)
    service = PushService(runtime, actor=caller.actor)
    return TaxiiResponse(
        service.status(status_id, user_id=caller.user_id, is_admin=caller.is_admin)
    )


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body over max_content_length ({limit} bytes)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body over max_content_length ({limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)
