"""Live streams: ``GET /stream/{id}`` (Server-Sent Events) and ``/api/streams`` (definitions)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.routes.taxii_base import optional_caller, sharing_caller
from stixflow.errors import NotFound, Unauthenticated
from stixflow.runtime import Runtime
from stixflow.streams.server import DEFAULT_HEARTBEAT, serve_stream, start_of
from stixflow.streams.view import StreamView
from stixflow.taxii.collections import (
    DefinitionCreate,
    DefinitionOut,
    DefinitionUpdate,
    live_streams,
    public_access,
)

router = APIRouter(tags=["sharing"])
reader = require(Capability.TAXIIAPI)
admin = require(Capability.SETTINGS)
SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}


@router.get("/stream/{stream_id}", response_class=StreamingResponse)
async def stream(
    stream_id: str,
    request: Request,
    from_: str | None = Query(None, alias="from", description="event id, 0, or a date"),
    listen_delete: bool = Query(True, alias="listen-delete"),
    no_dependencies: bool = Query(False, alias="no-dependencies"),
    heartbeat: float = Query(DEFAULT_HEARTBEAT, ge=0.2, le=60),
    last_event_id: str | None = Header(None),
    caller: Caller | None = Depends(optional_caller),
    runtime: Runtime = Depends(get_runtime),
) -> StreamingResponse:
    """Every create, update and delete that passes the stream's filter and your markings, in
    commit order; ``Last-Event-ID`` (or ``from``) resumes after an event."""
    definition = await run_in_threadpool(live_streams(runtime.db).get, stream_id)
    if not definition.running or definition.id != stream_id:
        raise NotFound(f"no running live stream {stream_id}")
    if caller is None and not definition.public:
        raise Unauthenticated("authentication required")
    access = sharing_caller(caller).access if caller is not None else public_access()
    start = await run_in_threadpool(start_of, runtime.db, last_event_id or from_)
    view = StreamView(
        runtime.db,
        definition.filters,
        access,
        listen_delete=listen_delete,
        no_dependencies=no_dependencies,
    )
    info = {"stream_id": definition.id, "name": definition.name, "from": start.after}
    body = serve_stream(runtime.db, view, start, info=info, heartbeat=heartbeat)
    return StreamingResponse(body, media_type="text/event-stream", headers=SSE_HEADERS)


@router.get("/api/streams", response_model=list[DefinitionOut])
def list_streams(
    caller: Caller = Depends(reader), runtime: Runtime = Depends(get_runtime)
) -> list[DefinitionOut]:
    return [d.out() for d in live_streams(runtime.db).list()]


@router.post("/api/streams", response_model=DefinitionOut, status_code=201)
def create_stream(
    spec: DefinitionCreate, caller: Caller = Depends(admin), runtime: Runtime = Depends(get_runtime)
) -> DefinitionOut:
    return live_streams(runtime.db).create(spec, created_by=caller.user_id).out()


@router.get("/api/streams/{ref}", response_model=DefinitionOut)
def get_stream(
    ref: str, caller: Caller = Depends(reader), runtime: Runtime = Depends(get_runtime)
) -> DefinitionOut:
    return live_streams(runtime.db).get(ref).out()


@router.patch("/api/streams/{ref}", response_model=DefinitionOut)
def update_stream(
    ref: str,
    patch: DefinitionUpdate,
    caller: Caller = Depends(admin),
    runtime: Runtime = Depends(get_runtime),
) -> DefinitionOut:
    return live_streams(runtime.db).update(ref, patch).out()


@router.delete("/api/streams/{ref}", status_code=204)
def delete_stream(
    ref: str, caller: Caller = Depends(admin), runtime: Runtime = Depends(get_runtime)
) -> Response:
    live_streams(runtime.db).delete(ref)
    return Response(status_code=204)
