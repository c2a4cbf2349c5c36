"""``/data/ingestion/taxii-push``: TAXII collections partners push STIX 2.1 objects into.

Creating an ingester shows the endpoint to hand to partners (``…/collections/<id>/objects/`` on
this server's base URL); it accepts pushes once started from its row's burger menu. Capability:
INGESTION.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.errors import StixflowError
from stixflow.runtime import Runtime
from stixflow.taxii.push import PushCreate, PushOut, PushService, PushUpdate
from stixflow.web.forms import FieldErrors, form_values
from stixflow.web.pages.feed_tabs import form_choices, validated
from stixflow.web.pages.ingestion import CLOSE_MODAL, manager
from stixflow.web.templating import render

PATH = "/data/ingestion/taxii-push"
AUDIENCES = ("users", "groups", "organizations")
TABLE = {"HX-Retarget": "#taxii-push-table", "HX-Reswap": "outerHTML"}

router = APIRouter(prefix=PATH)


def push_service(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> PushService:
    return PushService(
        runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
    )


def endpoint_url(request: Request, push: PushOut) -> str:
    """The Add Objects URL partners push to, on the base URL this page was reached at."""
    return f"{str(request.base_url).rstrip('/')}{push.collection_path}objects/"


def push_values(form: FormData, model: type[PushCreate] | type[PushUpdate]) -> dict[str, Any]:
    """Form fields as a create or update body; ``authorized_<audience>`` multi-selects nest."""
    values = form_values(form, model)
    values = {k: v for k, v in values.items() if not k.startswith("authorized_")}
    values["authorized"] = {
        audience: [v for v in form.getlist(f"authorized_{audience}") if isinstance(v, str) and v]
        for audience in AUDIENCES
    }
    return values


def edit_values(push: PushOut) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": push.name,
        "description": push.description,
        "user": push.user_id,
        "confidence_to_score": push.confidence_to_score,
    }
    values["authorized"] = push.authorized.model_dump()
    return values


def form_page(
    request: Request,
    caller: Caller,
    runtime: Runtime,
    *,
    values: dict[str, Any],
    push: PushOut | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    return render(
        request,
        "ingestion/taxii_push_form.html",
        caller=caller,
        status=422 if errors else 200,
        path=PATH,
        values=values,
        push=push,
        creating=push is None,
        errors=errors or {},
        choices=form_choices(runtime, caller),
    )


def table(
    request: Request, caller: Caller, service: PushService, *, notes: list[str], **context: Any
) -> Response:
    return render(
        request,
        "ingestion/taxii_push_saved.html",
        caller=caller,
        headers=context.pop("headers", TABLE),
        path=PATH,
        pushes=service.list(),
        notes=notes,
        endpoint=lambda push: endpoint_url(request, push),
        **context,
    )


@router.get("")
def push_page(
    request: Request,
    caller: Caller = Depends(manager),
    service: PushService = Depends(push_service),
) -> Response:
    return render(
        request,
        "ingestion/taxii_push.html",
        caller=caller,
        active="ingestion",
        tab="taxii-push",
        path=PATH,
        pushes=service.list(),
        endpoint=lambda push: endpoint_url(request, push),
    )


@router.get("/new")
def new_form(
    request: Request, caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> Response:
    return form_page(request, caller, runtime, values={})


@router.post("")
async def create(
    request: Request,
    caller: Caller = Depends(manager),
    runtime: Runtime = Depends(get_runtime),
    service: PushService = Depends(push_service),
) -> Response:
    values = push_values(await request.form(), PushCreate)
    spec, errors = validated(values, PushCreate)
    if spec is not None:
        try:
            created = service.create(spec)
        except StixflowError as exc:
            errors = {"form": str(exc)}
        else:
            # The modal stays open on the new endpoint; the table is refreshed out of band.
            return table(request, caller, service, notes=[], headers={}, created=created)
    return form_page(request, caller, runtime, values=values, errors=errors)


@router.get("/{ref}/edit")
def edit_form(
    request: Request,
    ref: str,
    caller: Caller = Depends(manager),
    runtime: Runtime = Depends(get_runtime),
    service: PushService = Depends(push_service),
) -> Response:
    push = service.get(ref)
    return form_page(request, caller, runtime, values=edit_values(push), push=push)


@router.post("/{ref}/edit")
async def update(
    request: Request,
    ref: str,
    caller: Caller = Depends(manager),
    runtime: Runtime = Depends(get_runtime),
    service: PushService = Depends(push_service),
) -> Response:
    push = service.get(ref)
    values = push_values(await request.form(), PushUpdate)
    values.setdefault("description", "")
    patch, errors = validated(values, PushUpdate)
    if patch is not None:
        try:
            saved = service.update(push.id, patch)
        except StixflowError as exc:
            errors = {"form": str(exc)}
        else:
            notes = [f"TAXII Push ingester {saved.name} saved."]
            return table(request, caller, service, notes=notes, headers={**TABLE, **CLOSE_MODAL})
    return form_page(request, caller, runtime, values=values, push=push, errors=errors)


RUN_ACTIONS = {
    "start": (True, "started: it accepts pushes."),
    "stop": (False, "stopped: pushes are refused."),
}


def runner(running: bool, outcome: str) -> Callable[..., Response]:
    """The handler that starts (``running``) or stops an ingester, answering with the table."""

    def set_running(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        service: PushService = Depends(push_service),
    ) -> Response:
        push = service.set_running(ref, running)
        return table(request, caller, service, notes=[f"{push.name} {outcome}"])

    return set_running


for action, (running, outcome) in RUN_ACTIONS.items():
    router.add_api_route(f"/{{ref}}/{action}", runner(running, outcome), methods=["POST"])


@router.post("/{ref}/delete")
def delete(
    request: Request,
    ref: str,
    caller: Caller = Depends(manager),
    service: PushService = Depends(push_service),
) -> Response:
    name = service.get(ref).name
    service.delete(ref)
    return table(request, caller, service, notes=[f"TAXII Push ingester {name} deleted."])
