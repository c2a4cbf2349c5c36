"""``/``: the knowledge base at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.runtime import Runtime
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter()
reader = page_require(Capability.KNOWLEDGE)


@router.get("/")
def dashboard(
    request: Request, caller: Caller = Depends(reader), runtime: Runtime = Depends(get_runtime)
) -> Response:
    counts = runtime.store.count_by_type(access=caller.access)
    per_type = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return render(
        request,
        "dashboard/index.html",
        caller=caller,
        active="dashboard",
        per_type=per_type,
        total=sum(counts.values()),
    )
