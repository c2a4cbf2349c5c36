"""Live streams: ``GET /stream/{id}`` (Server-Sent Events) and ``/api/streams`` (definitions)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.routes.taxii_base import optional_caller, sharing_caller
from stixflow.errors import NotFound, Unauthenticated
from stixflow.runtime import Runtime
from stixflow.streams.envelope import Flavour
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


def _flag(query: str | None, header: str | None, default: bool) -> bool:
    """An option given as a query parameter or, as pycti sends it, a header."""
    value = query if query is not None else header
    return default if value is None else value.strip().lower() == "true"


@router.get("/stream/{stream_id}", response_class=StreamingResponse)
async def stream(
    stream_id: str,
    request: Request,
    from_: str | None = Query(None, alias="from", description="event id, 0, or a date"),
    recover: str | None = Query(None, description="OpenCTI's recovery date"),
    listen_delete: str | None = Query(None, alias="listen-delete"),
    no_dependencies: str | None = Query(None, alias="no-dependencies"),
    format_: Flavour | None = Query(None, alias="format", description="opencti or stixflow"),
    heartbeat: float = Query(DEFAULT_HEARTBEAT, ge=0.2, le=60),
    last_event_id: str | None = Header(None),
    caller: Caller | None = Depends(optional_caller),
    runtime: Runtime = Depends(get_runtime),
) -> StreamingResponse:
    """Every create, update and delete that passes the stream's filter and your markings, in
    commit order; ``Last-Event-ID`` (or ``from``) resumes after an event. Options come as query
    parameters or headers (``listen-delete``, ``no-dependencies``, ``recover``, ``format``)."""
    definition = await run_in_threadpool(live_streams(runtime.db).get, stream_id)
    if not definition.running or definition.id != stream_id:
        raise NotFound(f"no running live stream {stream_id}")
    if caller is None and not definition.public:
        raise Unauthenticated("authentication required")
    access = sharing_caller(caller).access if caller is not None else public_access()
    headers = request.headers
    recovery = recover or headers.get("recover") or headers.get("recover-date")
    position = last_event_id or from_ or headers.get("from")
    start = await run_in_threadpool(partial(start_of, runtime.db, position, recover=recovery))
    view = StreamView(
        runtime.db,
        definition.filters,
        access,
        listen_delete=_flag(listen_delete, headers.get("listen-delete"), True),
        no_dependencies=_flag(no_dependencies, headers.get("no-dependencies"), False),
        flavour=format_ or Flavour.named(headers.get("format")),
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
