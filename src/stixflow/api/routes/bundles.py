from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.schemas import Accepted
from stixflow.errors import StixflowError
from stixflow.pipeline.submit import DEFAULT_SOURCE, Submission
from stixflow.runtime import Runtime
from stixflow.stix.bundle import parse_bundle

router = APIRouter(prefix="/api", tags=["import"])
writer = require(Capability.KNOWLEDGE_UPDATE)
log = logging.getLogger("stixflow.api")

SOURCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"


@router.post("/bundles", status_code=202, response_model=Accepted)
async def push_bundle(
    request: Request,
    background: BackgroundTasks,
    source: str = Query(DEFAULT_SOURCE, pattern=SOURCE_PATTERN),
    name: str | None = Query(None, max_length=200),
    caller: Caller = Depends(writer),
    runtime: Runtime = Depends(get_runtime),
) -> Accepted:
    """Queue a STIX bundle (2.0 or 2.1) for import; follow the returned work for progress.

    The bundle is read and parsed, its work opened, and the answer (the work's id) sent before
    its chunks are queued: a submit that stops half-way leaves a work the caller knows, which
    the reaper marks failed (``GET /api/works/{id}`` says why; submitting again is harmless).
    """
    body = await request.body()
    objects = await run_in_threadpool(parse_bundle, body)
    submission = await run_in_threadpool(
        lambda: runtime.submitter.open(
            objects,
            name=name or f"bundle of {len(objects)} objects",
            source=source,
            user_id=caller.user_id,
        )
    )
    background.add_task(send, runtime, submission, caller.default_markings)
    work = submission.work
    return Accepted(work_id=work.id, expected=work.expected, status_url=f"/api/works/{work.id}")


def send(runtime: Runtime, submission: Submission, default_markings: tuple[str, ...]) -> None:
    """Queue the chunks (a thread of the pool); a failure is recorded on the work."""
    try:
        runtime.submitter.send(submission, default_markings=default_markings)
    except StixflowError as exc:
        log.warning("work %s: the submit failed: %s", submission.work.id, exc)
