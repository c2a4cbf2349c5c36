from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from stixflow.api.deps import Caller, get_caller, get_runtime
from stixflow.api.schemas import DeadLetterOut
from stixflow.runtime import Runtime

router = APIRouter(prefix="/api/dead-letters", tags=["import"])


@router.get("", response_model=list[DeadLetterOut])
def list_dead_letters(
    limit: int = Query(100, ge=1, le=1000),
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> list[DeadLetterOut]:
    return [DeadLetterOut.of(letter) for letter in runtime.dead_letters.list(limit=limit)]


@router.post("/{letter_id}/retry", response_model=DeadLetterOut)
def retry_dead_letter(
    letter_id: int, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> DeadLetterOut:
    return DeadLetterOut.of(runtime.dead_letters.retry(letter_id, runtime.queue))
