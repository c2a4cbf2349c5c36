"""``/data/works/<id>``: one work as a small live panel, shared by the pages that start a work
(an object's *Enrich* action, *Data > Import*). While the work runs, the panel reloads itself
every two seconds; once it is finished it stops.

Reading needs ``KNOWLEDGE``; another user's work is a 404, as in ``/api/works``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.errors import NotFound
from stixflow.runtime import Runtime
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter(prefix="/data/works")
reader = page_require(Capability.KNOWLEDGE)


@router.get("/{work_id}")
def follow_work(
    work_id: str,
    request: Request,
    caller: Caller = Depends(reader),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    work = runtime.works.get(work_id, viewer=caller.work_viewer)
    if work is None:
        raise NotFound(f"no work {work_id}")
    return render(request, "works/_follow.html", caller=caller, work=work)
