"""An object's *Enrich* action: ``/knowledge/objects/<id>/enrich`` lists the enrichment
connectors whose scope takes the object's type; choosing one queues a manual enrichment job
(``connectors.enrichment.request_enrichment``, as ``POST /api/connectors/{id}/enrich``) and the
dialog then follows its work (``/data/works/<id>``).

Both need ``KNOWLEDGE_UPDATE`` (the button is not rendered without it) and an object the caller
may see; a connector that may not read the object (its markings) is refused with the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.connectors.enrichment import enrichers_for, request_enrichment
from stixflow.connectors.entity_types import entity_type
from stixflow.connectors.schemas import ConnectorOut
from stixflow.connectors.service import ConnectorService
from stixflow.errors import Conflict, InvalidInput, NotFound
from stixflow.runtime import Runtime
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter(prefix="/knowledge/objects")
enricher = page_require(Capability.KNOWLEDGE_UPDATE)


def offered(runtime: Runtime, caller: Caller, obj: dict[str, Any]) -> list[ConnectorOut]:
    """Enrichment connectors whose scope takes ``obj``, alive ones first."""
    service = ConnectorService(runtime, actor=caller.actor)
    found = [service.out(c) for c in enrichers_for(runtime, obj)]
    return sorted(found, key=lambda c: (c.status != "alive", c.name.lower()))


def _dialog(
    request: Request, caller: Caller, runtime: Runtime, object_id: str, *, error: str | None = None
) -> Response:
    stored = runtime.store.get(object_id, access=caller.access)
    if stored is None:
        raise NotFound(f"no object {object_id} (or you may not see it)")
    object_type = entity_type(stored.data)
    return render(
        request,
        "knowledge/enrich.html",
        caller=caller,
        object_id=stored.data["id"],
        object_type=object_type,
        connectors=offered(runtime, caller, stored.data),
        error=error,
        status=200 if error is None else 409,
    )


@router.get("/{object_id}/enrich")
def enrich_dialog(
    object_id: str,
    request: Request,
    caller: Caller = Depends(enricher),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    return _dialog(request, caller, runtime, object_id)


@router.post("/{object_id}/enrich")
def enrich(
    object_id: str,
    request: Request,
    connector_id: str = Form(..., max_length=200),
    caller: Caller = Depends(enricher),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    try:
        work = request_enrichment(
            runtime, caller.actor, object_id, connector_id, access=caller.access
        )
    except (Conflict, InvalidInput) as exc:
        return _dialog(request, caller, runtime, object_id, error=str(exc))
    connector = ConnectorService(runtime, actor=caller.actor).get(connector_id)
    return render(
        request,
        "knowledge/enrich_queued.html",
        caller=caller,
        object_id=object_id,
        connector=connector,
        work=work,
    )
