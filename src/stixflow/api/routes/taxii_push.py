"""``/api/ingestion/taxii-push``: TAXII Push ingesters (create, edit, start, stop, delete)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.runtime import Runtime
from stixflow.taxii.push import PushCreate, PushOut, PushService, PushUpdate

router = APIRouter(prefix="/api/ingestion/taxii-push", tags=["sharing"])
manager = require(Capability.INGESTION)


def service(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> PushService:
    return PushService(
        runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
    )


@router.get("", response_model=list[PushOut])
def list_push(push: PushService = Depends(service)) -> list[PushOut]:
    return push.list()


@router.post("", response_model=PushOut, status_code=201)
def create_push(spec: PushCreate, push: PushService = Depends(service)) -> PushOut:
    return push.create(spec)


@router.get("/{ref}", response_model=PushOut)
def get_push(ref: str, push: PushService = Depends(service)) -> PushOut:
    return push.get(ref)


@router.patch("/{ref}", response_model=PushOut)
def update_push(ref: str, patch: PushUpdate, push: PushService = Depends(service)) -> PushOut:
    return push.update(ref, patch)


@router.post("/{ref}/start", response_model=PushOut)
def start_push(ref: str, push: PushService = Depends(service)) -> PushOut:
    return push.set_running(ref, True)


@router.post("/{ref}/stop", response_model=PushOut)
def stop_push(ref: str, push: PushService = Depends(service)) -> PushOut:
    return push.set_running(ref, False)


@router.delete("/{ref}", status_code=204)
def delete_push(ref: str, push: PushService = Depends(service)) -> Response:
    push.delete(ref)
    return Response(status_code=204)
