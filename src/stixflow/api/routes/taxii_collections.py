"""``/api/taxii/collections``: the TAXII collections admins publish (saved filters)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.runtime import Runtime
from stixflow.taxii.collections import (
    DefinitionCreate,
    DefinitionOut,
    DefinitionUpdate,
    collections,
)

router = APIRouter(prefix="/api/taxii/collections", tags=["sharing"])
reader = require(Capability.TAXIIAPI)
admin = require(Capability.SETTINGS)


@router.get("", response_model=list[DefinitionOut])
def list_collections(
    caller: Caller = Depends(reader), runtime: Runtime = Depends(get_runtime)
) -> list[DefinitionOut]:
    return [d.out() for d in collections(runtime.db).list()]


@router.post("", response_model=DefinitionOut, status_code=201)
def create_collection(
    spec: DefinitionCreate, caller: Caller = Depends(admin), runtime: Runtime = Depends(get_runtime)
) -> DefinitionOut:
    return collections(runtime.db).create(spec, created_by=caller.user_id).out()


@router.get("/{ref}", response_model=DefinitionOut)
def get_collection(
    ref: str, caller: Caller = Depends(reader), runtime: Runtime = Depends(get_runtime)
) -> DefinitionOut:
    return collections(runtime.db).get(ref).out()


@router.patch("/{ref}", response_model=DefinitionOut)
def update_collection(
    ref: str,
    patch: DefinitionUpdate,
    caller: Caller = Depends(admin),
    runtime: Runtime = Depends(get_runtime),
) -> DefinitionOut:
    return collections(runtime.db).update(ref, patch).out()


@router.delete("/{ref}", status_code=204)
def delete_collection(
    ref: str, caller: Caller = Depends(admin), runtime: Runtime = Depends(get_runtime)
) -> Response:
    collections(runtime.db).delete(ref)
    return Response(status_code=204)
