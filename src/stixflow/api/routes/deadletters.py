"""``/api/dead-letters``: import messages that kept failing, for administrators (``BYPASS``).

A dead letter holds a whole message (objects of any marking, of any user) and a failure reason
that may quote them, so only administrators list or retry them.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.api.schemas import DeadLetterOut
from stixflow.runtime import Runtime

router = APIRouter(prefix="/api/dead-letters", tags=["import"])
MAX_ID = 2**63 - 1  # the largest id either database stores
administrator = require(Capability.BYPASS)


@router.get("", response_model=list[DeadLetterOut])
def list_dead_letters(
    limit: int = Query(100, ge=1, le=1000),
    caller: Caller = Depends(administrator),
    runtime: Runtime = Depends(get_runtime),
) -> list[DeadLetterOut]:
    return [DeadLetterOut.of(letter) for letter in runtime.dead_letters.list(limit=limit)]


@router.post("/{letter_id}/retry", response_model=DeadLetterOut)
def retry_dead_letter(
    letter_id: int = Path(ge=1, le=MAX_ID),
    caller: Caller = Depends(administrator),
    runtime: Runtime = Depends(get_runtime),
) -> DeadLetterOut:
    return DeadLetterOut.of(runtime.dead_letters.retry(letter_id, runtime.queue))
