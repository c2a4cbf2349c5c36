"""``/api/ingestion/live-streams``: synchronisers following another stixflow's live stream."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.runtime import Runtime
from stixflow.streams.sync.service import (
    RemoteIn,
    RemoteStreamOut,
    SyncCreate,
    SyncOut,
    SyncResetOut,
    SyncService,
    SyncUpdate,
)

router = APIRouter(prefix="/api/ingestion/live-streams", tags=["sharing"])
manager = require(Capability.INGESTION)


def service(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> SyncService:
    return SyncService(
        runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
    )


@router.post("/remote-streams", response_model=list[RemoteStreamOut])
def remote_streams(
    remote: RemoteIn, syncs: SyncService = Depends(service)
) -> list[RemoteStreamOut]:
    """Validate a remote URL and token; list the live streams it offers to pick one."""
    return syncs.remote_streams(remote)


@router.get("", response_model=list[SyncOut])
def list_syncs(syncs: SyncService = Depends(service)) -> list[SyncOut]:
    return syncs.list()


@router.post("", response_model=SyncOut, status_code=201)
def create_sync(spec: SyncCreate, syncs: SyncService = Depends(service)) -> SyncOut:
    return syncs.create(spec)


@router.get("/{ref}", response_model=SyncOut)
def get_sync(ref: str, syncs: SyncService = Depends(service)) -> SyncOut:
    return syncs.get(ref)


@router.patch("/{ref}", response_model=SyncOut)
def update_sync(ref: str, patch: SyncUpdate, syncs: SyncService = Depends(service)) -> SyncOut:
    return syncs.update(ref, patch)


@router.post("/{ref}/start", response_model=SyncOut)
def start_sync(ref: str, syncs: SyncService = Depends(service)) -> SyncOut:
    return syncs.set_running(ref, True)


@router.post("/{ref}/stop", response_model=SyncOut)
def stop_sync(ref: str, syncs: SyncService = Depends(service)) -> SyncOut:
    return syncs.set_running(ref, False)


@router.post("/{ref}/reset", response_model=SyncResetOut)
def reset_sync(ref: str, syncs: SyncService = Depends(service)) -> SyncResetOut:
    """Start again from the starting date; the synchroniser's queued messages are purged."""
    return syncs.reset(ref)


@router.delete("/{ref}", status_code=204)
def delete_sync(ref: str, syncs: SyncService = Depends(service)) -> Response:
    syncs.delete(ref)
    return Response(status_code=204)
