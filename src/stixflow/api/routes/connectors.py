"""``/api/connectors``: the registry, state, reset, works, and the HTTP queue protocol.

Reading needs ``KNOWLEDGE``; registering, pinging, state writes, works and pushes need
``CONNECTORAPI``; reset and delete need ``CONNECTOR_STATE``.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.schemas import Accepted, WorkOut
from stixflow.connectors.enrichment import next_job, request_enrichment
from stixflow.connectors.schemas import (
    ConnectorOut,
    ConnectorRegister,
    EnrichObject,
    EnrichOut,
    ResetOut,
    ResetPreview,
    StateIn,
    StateOut,
    WorkOpen,
    WorkProcessed,
)
from stixflow.connectors.service import ConnectorService, parse_state
from stixflow.runtime import Runtime
from stixflow.stix.bundle import parse_bundle

router = APIRouter(prefix="/api/connectors", tags=["connectors"])


def service_as(capability: Capability) -> Callable[..., ConnectorService]:
    allowed = require(capability)

    def build(
        caller: Caller = Depends(allowed), runtime: Runtime = Depends(get_runtime)
    ) -> ConnectorService:
        return ConnectorService(runtime, actor=caller.actor)

    return build


reader = service_as(Capability.KNOWLEDGE)
connector_api = service_as(Capability.CONNECTORAPI)
state_manager = service_as(Capability.CONNECTOR_STATE)
connector_caller = require(Capability.CONNECTORAPI)
enricher = require(Capability.KNOWLEDGE_UPDATE)


@router.get("", response_model=list[ConnectorOut])
def list_connectors(service: ConnectorService = Depends(reader)) -> list[ConnectorOut]:
    """Registered connectors and built-in ones (native ingesters), with status and queue depth."""
    return [service.out(connector) for connector in service.list()]


@router.post("", response_model=ConnectorOut)
def register(
    spec: ConnectorRegister,
    caller: Caller = Depends(connector_caller),
    service: ConnectorService = Depends(connector_api),
) -> ConnectorOut:
    """Register (or re-register) a connector acting as the caller."""
    return service.out(service.register(spec, user_id=caller.user_id).connector)


@router.get("/{connector_id}", response_model=ConnectorOut)
def show(connector_id: str, service: ConnectorService = Depends(reader)) -> ConnectorOut:
    return service.out(service.get(connector_id))


@router.delete("/{connector_id}", status_code=204, response_class=Response, response_model=None)
def delete(connector_id: str, service: ConnectorService = Depends(state_manager)) -> None:
    service.delete(connector_id)


@router.post("/{connector_id}/ping", response_model=StateOut)
@router.put("/{connector_id}/state", response_model=StateOut)
def write_state(
    connector_id: str, body: StateIn, service: ConnectorService = Depends(connector_api)
) -> StateOut:
    """Store the state (and what the connector reports); after a reset the sent state is
    ignored once and ``reset`` is true: the connector starts again from its start date."""
    state, was_reset = service.set_state(connector_id, body.state, body.info)
    return StateOut(state=state, reset=was_reset)


@router.get("/{connector_id}/state", response_model=StateOut)
def read_state(connector_id: str, service: ConnectorService = Depends(connector_api)) -> StateOut:
    return StateOut(state=parse_state(service.records.get(connector_id).state))


@router.get("/{connector_id}/reset", response_model=ResetPreview)
def reset_preview(
    connector_id: str, service: ConnectorService = Depends(state_manager)
) -> ResetPreview:
    """How many messages a reset would purge (to show before confirming)."""
    return ResetPreview(connector_id=connector_id, messages=service.reset_preview(connector_id))


@router.post("/{connector_id}/reset", response_model=ResetOut)
def reset(connector_id: str, service: ConnectorService = Depends(state_manager)) -> ResetOut:
    """Clear the state and purge the connector's queues; returns how many messages were purged."""
    return ResetOut(connector_id=connector_id, purged=service.reset(connector_id))


@router.get("/{connector_id}/works", response_model=list[WorkOut])
def list_works(
    connector_id: str,
    limit: int = Query(50, ge=1, le=500),
    service: ConnectorService = Depends(reader),
) -> list[WorkOut]:
    return [WorkOut.of(work) for work in service.works(connector_id, limit=limit)]


@router.post("/{connector_id}/works", response_model=WorkOut, status_code=201)
def open_work(
    connector_id: str, body: WorkOpen, service: ConnectorService = Depends(connector_api)
) -> WorkOut:
    return WorkOut.of(service.open_work(connector_id, name=body.name, multipart=body.multipart))


@router.post("/{connector_id}/works/{work_id}/processed", response_model=WorkOut)
def work_processed(
    connector_id: str,
    work_id: str,
    body: WorkProcessed,
    service: ConnectorService = Depends(connector_api),
) -> WorkOut:
    """The connector sent everything for this work (it completes once all is applied)."""
    service.work_of(work_id)
    work = service.runtime.works.mark_processed(
        work_id, message=body.message, in_error=body.in_error
    )
    return WorkOut.of(work)


@router.post("/{connector_id}/bundles", status_code=202, response_model=Accepted)
async def push_bundle(
    connector_id: str,
    request: Request,
    work_id: str | None = Query(None, max_length=200),
    caller: Caller = Depends(connector_caller),
    service: ConnectorService = Depends(connector_api),
) -> Accepted:
    """The HTTP queue protocol: queue a STIX bundle on the connector's queue, counted on
    ``work_id`` (a work it opened) or on a new work."""
    objects = await run_in_threadpool(parse_bundle, await request.body())
    work = await run_in_threadpool(
        lambda: service.push(
            connector_id, objects, work_id=work_id, default_markings=caller.default_markings
        )
    )
    return Accepted(work_id=work.id, expected=work.expected, status_url=f"/api/works/{work.id}")


@router.post("/{connector_id}/enrich", status_code=202, response_model=EnrichOut)
def enrich(
    connector_id: str,
    body: EnrichObject,
    caller: Caller = Depends(enricher),
    runtime: Runtime = Depends(get_runtime),
) -> EnrichOut:
    """Queue an enrichment job for one object; the connector's answer counts on the work."""
    work = request_enrichment(
        runtime, caller.actor, body.object_id, connector_id, access=caller.access
    )
    return EnrichOut(connector_id=connector_id, work_id=work.id, object_id=body.object_id)


@router.get("/{connector_id}/jobs", responses={204: {"description": "no job within wait"}})
def next_listen_job(
    connector_id: str,
    wait: float = Query(5.0, ge=0, le=30),
    caller: Caller = Depends(connector_caller),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """The HTTP listen protocol: the next job on the connector's listen queue (OpenCTI's
    listen message), or 204 when none came within ``wait`` seconds."""
    job = next_job(runtime, connector_id, wait=wait)
    if job is None:
        return Response(status_code=204)
    return JSONResponse(job)
