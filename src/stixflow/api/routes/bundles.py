from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.schemas import Accepted
from stixflow.pipeline.submit import DEFAULT_SOURCE
from stixflow.runtime import Runtime
from stixflow.stix.bundle import parse_bundle

router = APIRouter(prefix="/api", tags=["import"])
writer = require(Capability.KNOWLEDGE_UPDATE)

SOURCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"


@router.post("/bundles", status_code=202, response_model=Accepted)
async def push_bundle(
    request: Request,
    source: str = Query(DEFAULT_SOURCE, pattern=SOURCE_PATTERN),
    name: str | None = Query(None, max_length=200),
    caller: Caller = Depends(writer),
    runtime: Runtime = Depends(get_runtime),
) -> Accepted:
    """Queue a STIX bundle (2.0 or 2.1) for import; follow the returned work for progress."""
    body = await request.body()
    objects = await run_in_threadpool(parse_bundle, body)
    work = await run_in_threadpool(
        lambda: runtime.submitter.submit(
            objects,
            name=name or f"bundle of {len(objects)} objects",
            source=source,
            user_id=caller.user_id,
            default_markings=caller.default_markings,
        )
    )
    return Accepted(work_id=work.id, expected=work.expected, status_url=f"/api/works/{work.id}")
