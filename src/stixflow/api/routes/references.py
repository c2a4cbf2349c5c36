"""``/api/references/missing``: references of the caller's visible objects to objects the store
does not hold (yet); ``stixflow.store.missing``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.runtime import Runtime
from stixflow.store.missing import EXTERNAL_IDS, missing_refs

router = APIRouter(prefix="/api/references", tags=["knowledge"])
reader = require(Capability.KNOWLEDGE)


class MissingRefOut(BaseModel):
    object_id: str
    ref_id: str


class MissingRefsOut(BaseModel):
    count: int
    references: list[MissingRefOut]
    #: Ids referenced without being held, by design (built-in TLP markings): never counted.
    external: list[str]


@router.get("/missing", response_model=MissingRefsOut)
def list_missing(
    limit: int = Query(100, ge=1, le=1000),
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> MissingRefsOut:
    count, found = missing_refs(runtime.db, caller.access, limit=limit)
    return MissingRefsOut(
        count=count,
        references=[MissingRefOut(object_id=m.object_id, ref_id=m.ref_id) for m in found],
        external=sorted(EXTERNAL_IDS),
    )
