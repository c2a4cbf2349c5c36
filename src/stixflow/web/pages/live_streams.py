"""``/data/ingestion/streams``: synchronisers following another stixflow's live stream
(capability ``INGESTION``).

Creating one takes two steps in the modal: the remote URL and token are validated against the
remote ("Validate"), which then lists the live streams the token may read; the person picks one,
sets the options and creates it. Start, Stop, Edit and Delete sit in each row's burger menu.
Calls to the remote (validate, create, a changed remote on edit) run in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.connectors.activity import objects_ingested
from stixflow.errors import InvalidInput, SourceError
from stixflow.runtime import Runtime
from stixflow.streams.sync.service import RemoteIn, SyncCreate, SyncOut, SyncService, SyncUpdate
from stixflow.web.forms import FieldErrors, parse_form
from stixflow.web.pages.ingestion import manager, tab_page, user_choices
from stixflow.web.templating import render

router = APIRouter(prefix="/data/ingestion/streams")
SAVED = {"HX-Retarget": "#streams-list", "HX-Reswap": "innerHTML", "HX-Trigger": "close-modal"}


def syncs_of(caller: Caller, runtime: Runtime) -> SyncService:
    return SyncService(
        runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
    )


def table_context(syncs: SyncService) -> dict[str, Any]:
    listed = syncs.list()
    return {
        "syncs": listed,
        "ingested": objects_ingested(syncs.runtime.db, (s.source for s in listed)),
    }


def user_options(caller: Caller, runtime: Runtime) -> list[tuple[str, str]] | None:
    """Users to pick the one responsible for the data (None: the caller may not list users)."""
    if not caller.can(Capability.SETTINGS):
        return None
    return user_choices(runtime)


def remote_choices(syncs: SyncService, values: dict[str, Any]) -> dict[str, Any]:
    """Step 2 of the form: the remote's streams, or why the remote cannot be used."""
    remote, errors = parse_form(FormData(values), RemoteIn)
    if remote is None:
        return {"streams": None, "remote_errors": errors, "remote_error": None}
    try:
        streams = syncs.remote_streams(remote)
    except (InvalidInput, SourceError) as exc:
        return {"streams": None, "remote_errors": {}, "remote_error": str(exc)}
    return {"streams": streams, "remote_errors": {}, "remote_error": None, "uri": remote.uri}


def form_context(
    caller: Caller, runtime: Runtime, values: dict[str, Any], errors: FieldErrors
) -> dict[str, Any]:
    return {"values": values, "errors": errors, "user_options": user_options(caller, runtime)}


@router.get("")
def streams_page(
    request: Request,
    part: str | None = None,
    caller: Caller = Depends(manager),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """The Live streams tab; ``?part=table`` is only its table (to refresh it)."""
    context = table_context(syncs_of(caller, runtime))
    return tab_page(request, caller, tab="streams", part=part, context=context)


@router.get("/new")
def create_form(
    request: Request, caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> Response:
    values = {"ssl_verify": "true", "listen_deletion": "true"}
    return render(
        request,
        "ingestion/streams_form.html",
        caller=caller,
        **form_context(caller, runtime, values, {}),
    )


@router.post("/validate")
async def validate_remote(
    request: Request, caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> Response:
    """Check the URL and token against the remote; list its streams to pick one."""
    values = {"listen_deletion": "true", **form_dict(await request.form())}
    choices = await run_in_threadpool(remote_choices, syncs_of(caller, runtime), values)
    return render(
        request,
        "ingestion/streams_options.html",
        caller=caller,
        **form_context(caller, runtime, values, {}),
        **choices,
    )


@router.post("")
async def create_sync(
    request: Request, caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> Response:
    form = await request.form()
    syncs = syncs_of(caller, runtime)
    spec, errors = parse_form(form, SyncCreate)
    if spec is not None:
        try:
            await run_in_threadpool(syncs.create, spec)
        except (InvalidInput, SourceError) as exc:
            errors = {"remote": str(exc)}
        else:
            return table(request, caller, syncs, headers=SAVED)
    values = form_dict(form)
    return render(
        request,
        "ingestion/streams_form.html",
        caller=caller,
        status=422,
        **form_context(caller, runtime, values, errors),
        **await run_in_threadpool(remote_choices, syncs, values),
    )


def runner(running: bool) -> Callable[..., Response]:
    """The handler that starts (``running``) or stops a synchroniser, answering with its row."""

    def set_running(
        ref: str,
        request: Request,
        caller: Caller = Depends(manager),
        runtime: Runtime = Depends(get_runtime),
    ) -> Response:
        return row(request, caller, syncs_of(caller, runtime).set_running(ref, running), runtime)

    return set_running


for action, running in (("start", True), ("stop", False)):
    router.add_api_route(f"/{{ref}}/{action}", runner(running), methods=["POST"])


@router.get("/{ref}/edit")
def edit_form(
    ref: str,
    request: Request,
    caller: Caller = Depends(manager),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    sync = syncs_of(caller, runtime).get(ref)
    return render(
        request,
        "ingestion/streams_edit.html",
        caller=caller,
        sync=sync,
        **form_context(caller, runtime, values_of(sync), {}),
    )


@router.post("/{ref}/edit")
async def update_sync(
    ref: str,
    request: Request,
    caller: Caller = Depends(manager),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    form = await request.form()
    syncs = syncs_of(caller, runtime)
    sync = syncs.get(ref)
    patch, errors = parse_form(form, SyncUpdate)
    if patch is not None:
        try:
            await run_in_threadpool(syncs.update, ref, patch)
        except (InvalidInput, SourceError) as exc:
            errors = {"remote": str(exc)}
        else:
            return table(request, caller, syncs, headers=SAVED)
    return render(
        request,
        "ingestion/streams_edit.html",
        caller=caller,
        status=422,
        sync=sync,
        **form_context(caller, runtime, form_dict(form), errors),
    )


@router.post("/{ref}/delete")
def delete_sync(
    ref: str,
    request: Request,
    caller: Caller = Depends(manager),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    syncs = syncs_of(caller, runtime)
    syncs.delete(ref)
    return table(request, caller, syncs)


@router.post("/{ref}/reset")
def reset_sync(
    ref: str,
    request: Request,
    caller: Caller = Depends(manager),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """Start again from the starting date; the flash says how many queued messages went."""
    syncs = syncs_of(caller, runtime)
    done = syncs.reset(ref)
    note = (
        f"{done.sync.name} reset: {done.purged} queued messages purged; "
        "it reads the stream again from its starting date."
    )
    return table(request, caller, syncs, notes=[note])


def table(
    request: Request,
    caller: Caller,
    syncs: SyncService,
    *,
    headers: dict[str, str] | None = None,
    notes: list[str] | None = None,
) -> Response:
    context = table_context(syncs)
    return render(
        request,
        "ingestion/streams_table.html",
        caller=caller,
        headers=headers,
        notes=notes or [],
        **context,
    )


def row(request: Request, caller: Caller, sync: SyncOut, runtime: Runtime) -> Response:
    ingested = objects_ingested(runtime.db, [sync.source])
    return render(
        request, "ingestion/streams_row.html", caller=caller, sync=sync, ingested=ingested
    )


def form_dict(form: FormData) -> dict[str, str]:
    """The form's last value per field (a checkbox after its hidden "false" wins)."""
    return {key: str(form.getlist(key)[-1]) for key in form}


def values_of(sync: SyncOut) -> dict[str, Any]:
    """A synchroniser's settings as form values (the token is never sent back)."""
    values: dict[str, Any] = sync.model_dump(
        include={"name", "description", "uri", "stream_id", "user_id", "starting_date"}
    )
    for flag in ("ssl_verify", "listen_deletion", "no_dependencies", "synchronized"):
        values[flag] = "true" if getattr(sync, flag) else "false"
    values["user"] = values.pop("user_id")
    values["starting_date"] = (sync.starting_date or "")[:16]
    return values
