"""``/data/ingestion/connectors``: registered and built-in connectors, a connector's page with
its state and works, and the "Reset state" flow (``CONNECTOR_STATE``).

Reading needs ``KNOWLEDGE``; resetting and deleting need ``CONNECTOR_STATE`` (the actions are not
rendered without it, and a direct POST gets the 403 page). A reset answers with an
``HX-Trigger: connectors-changed`` event: the table and the details panel reload themselves.
A delete answers with the table itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.connectors.activity import objects_ingested
from stixflow.connectors.schemas import ConnectorOut
from stixflow.connectors.service import ConnectorService
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime
from stixflow.web.pages.ingestion import tab_page
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter(prefix="/data/ingestion/connectors")
reader = page_require(Capability.KNOWLEDGE)
state_manager = page_require(Capability.CONNECTOR_STATE)
CHANGED = {"HX-Trigger": "connectors-changed"}
WORKS_SHOWN = 50


@dataclass(frozen=True)
class Visit:
    """The signed-in caller of a connectors page, with their connector service."""

    caller: Caller
    service: ConnectorService


def visit_as(require: Callable[..., Caller]) -> Callable[..., Visit]:
    """A page dependency: a ``Visit`` by a caller that ``require`` lets in."""

    def visit(caller: Caller = Depends(require), runtime: Runtime = Depends(get_runtime)) -> Visit:
        return Visit(caller, ConnectorService(runtime, actor=caller.actor))

    return visit


reading = visit_as(reader)
managing = visit_as(state_manager)


def is_alive(connector: ConnectorOut) -> bool:
    return connector.status in ("alive", "running")


def table_context(service: ConnectorService) -> dict[str, Any]:
    connectors = [service.out(connector) for connector in service.list()]
    ingested = objects_ingested(service.runtime.db, (c.id for c in connectors))
    return {"connectors": connectors, "ingested": ingested, "is_alive": is_alive}


def details_context(service: ConnectorService, connector_id: str) -> dict[str, Any]:
    connector = service.out(service.get(connector_id))
    state = json.dumps(connector.state, indent=2, sort_keys=True) if connector.state else None
    return {"connector": connector, "state_text": state, "is_alive": is_alive}


def recent_works(service: ConnectorService, connector_id: str) -> list[Work]:
    """The connector's latest works the caller may see; those with failures come with their
    errors."""
    works = service.works(connector_id, limit=WORKS_SHOWN)
    found = service.runtime.works
    return [(found.get(w.id, viewer=service.work_viewer) or w) if w.failed else w for w in works]


@router.get("")
def connectors_page(
    request: Request, part: str | None = None, visit: Visit = Depends(reading)
) -> Response:
    """The Connectors tab; ``?part=table`` is only its table (to refresh it)."""
    context = table_context(visit.service)
    return tab_page(request, visit.caller, tab="connectors", part=part, context=context)


@router.get("/{connector_id}")
def connector_page(
    connector_id: str, request: Request, visit: Visit = Depends(reading)
) -> Response:
    return render(
        request,
        "connectors/page.html",
        caller=visit.caller,
        active="ingestion",
        works=recent_works(visit.service, connector_id),
        **details_context(visit.service, connector_id),
    )


@router.get("/{connector_id}/details")
def connector_details(
    connector_id: str, request: Request, visit: Visit = Depends(reading)
) -> Response:
    context = details_context(visit.service, connector_id)
    return render(request, "connectors/details.html", caller=visit.caller, **context)


@router.get("/{connector_id}/works")
def connector_works(
    connector_id: str, request: Request, visit: Visit = Depends(reading)
) -> Response:
    works = recent_works(visit.service, connector_id)
    return render(
        request,
        "connectors/works.html",
        caller=visit.caller,
        connector_id=connector_id,
        works=works,
    )


@router.get("/{connector_id}/reset")
def reset_confirmation(
    connector_id: str, request: Request, visit: Visit = Depends(managing)
) -> Response:
    return render(
        request,
        "connectors/reset_confirm.html",
        caller=visit.caller,
        connector=visit.service.get(connector_id),
        messages=visit.service.reset_preview(connector_id),
    )


@router.post("/{connector_id}/reset")
def reset_state(connector_id: str, request: Request, visit: Visit = Depends(managing)) -> Response:
    connector = visit.service.get(connector_id)
    purged = visit.service.reset(connector_id)
    return render(
        request,
        "connectors/reset_done.html",
        caller=visit.caller,
        connector=connector,
        purged=purged,
        headers=CHANGED,
    )


@router.post("/{connector_id}/delete")
def delete_connector(
    connector_id: str, request: Request, visit: Visit = Depends(managing)
) -> Response:
    visit.service.delete(connector_id)
    context = table_context(visit.service)
    return render(request, "ingestion/connectors_table.html", caller=visit.caller, **context)
