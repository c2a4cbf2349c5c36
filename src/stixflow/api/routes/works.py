"""``/api/works``: the caller's works (all of them for an administrator), with their errors.

Another user's work is a 404, like one that does not exist (``pipeline.works.WorkViewer``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.schemas import WorkOut
from stixflow.errors import NotFound
from stixflow.runtime import Runtime

router = APIRouter(prefix="/api/works", tags=["import"])
reader = require(Capability.KNOWLEDGE)


@router.get("", response_model=list[WorkOut])
def list_works(
    source: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=500),
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> list[WorkOut]:
    found = runtime.works.list(source=source, limit=limit, viewer=caller.work_viewer)
    return [WorkOut.of(work) for work in found]


@router.get("/{work_id}", response_model=WorkOut)
def get_work(
    work_id: str,
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> WorkOut:
    work = runtime.works.get(work_id, viewer=caller.work_viewer)
    if work is None:
        raise NotFound(f"no work {work_id}")
    return WorkOut.of(work)
