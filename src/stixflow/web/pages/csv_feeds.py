"""``/data/ingestion/csv``: the CSV feeds tab (capability INGESTION).

A feed is created from a modal form whose Create button stays disabled until "Verify" has
fetched the URL and mapped it with the chosen mapper (up to 50 objects listed). The markings
field appears only when the chosen mapper lets the user choose markings, and then lists the
markings of the user responsible for the data (not the caller's). Duplicate opens the same form
pre-filled, named ``<name>-copy``; credentials the form leaves blank are taken from the original.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from stixflow.access.capabilities import Capability
from stixflow.access.markings import list_markings
from stixflow.access.principal import principal_of
from stixflow.access.service import AccessService
from stixflow.api.deps import Caller, get_runtime
from stixflow.csvmap.model import asks_user_choice
from stixflow.csvmap.service import MapperService
from stixflow.errors import NotFound, StixflowError
from stixflow.ingest.csv import SECRET_FIELDS
from stixflow.ingest.schemas import CsvCreate, CsvUpdate, IngesterOut
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime
from stixflow.web.forms import FieldErrors, parse_form
from stixflow.web.pages.csv_mappers import preview_rows
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter()
manager = page_require(Capability.INGESTION)
TAB = "/data/ingestion/csv"
KIND = "csv"
AUTH_TYPES = (
    ("none", "None"),
    ("basic", "Basic user / password"),
    ("bearer", "Bearer token"),
    ("header", "Custom header (e.g. X-Api-Key)"),
)
PERIODS = (("PT1H", "every hour"), ("PT15M", "every 15 minutes"), ("P1D", "every day"))


class Pages:
    """What the tab's handlers share: the services for this caller, and the form's choices."""

    def __init__(
        self, caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
    ) -> None:
        self.caller = caller
        self.runtime = runtime
        self.feeds = IngestionService(runtime, actor=caller.actor)
        self.mappers = MapperService(runtime, actor=caller.actor)

    def mapper_names(self) -> dict[str, str]:
        return {m.id: m.name for m in self.mappers.list()}

    def users(self) -> list[tuple[str, str]]:
        access = AccessService(self.runtime.db, self.runtime.store, actor=self.caller.actor)
        return [(u.id, f"{u.name} ({u.email})") for u in access.list_users()]

    def markings_for(self, mapper: str | None, user: str | None) -> list[tuple[str, str]] | None:
        """The markings the user responsible may choose; None when the mapper takes none."""
        if not mapper:
            return None
        try:
            spec = self.mappers.get(mapper).spec
        except NotFound:
            return None
        if not asks_user_choice(spec):
            return None
        user_id = user or self.caller.user_id
        with self.runtime.db.read() as tx:
            access = principal_of(tx, user_id).access if user_id else None
        found = list_markings(self.runtime.store, access) if access else []
        return [(m.id, m.name) for m in found]


# -- the tab and its rows ------------------------------------------------------------------


@router.get(TAB)
def tab(request: Request, pages: Pages = Depends()) -> Response:
    return render(
        request,
        "ingestion/csv.html",
        caller=pages.caller,
        active="ingestion",
        tab="csv",
        feeds=pages.feeds.list(KIND),
        mapper_names=pages.mapper_names(),
    )


def table(request: Request, pages: Pages, headers: dict[str, str] | None = None) -> HTMLResponse:
    return render(
        request,
        "ingestion/csv_table.html",
        feeds=pages.feeds.list(KIND),
        mapper_names=pages.mapper_names(),
        headers=headers,
    )


def row(request: Request, pages: Pages, feed: IngesterOut) -> HTMLResponse:
    return render(request, "ingestion/csv_row.html", feed=feed, mapper_names=pages.mapper_names())


@router.post(TAB + "/{ref}/start")
def start(ref: str, request: Request, pages: Pages = Depends()) -> Response:
    return row(request, pages, pages.feeds.set_running(KIND, ref, True))


@router.post(TAB + "/{ref}/stop")
def stop(ref: str, request: Request, pages: Pages = Depends()) -> Response:
    return row(request, pages, pages.feeds.set_running(KIND, ref, False))


@router.post(TAB + "/{ref}/reset")
def reset(ref: str, request: Request, pages: Pages = Depends()) -> Response:
    return row(request, pages, pages.feeds.reset(KIND, ref).ingester)


@router.post(TAB + "/{ref}/delete")
def delete(ref: str, pages: Pages = Depends()) -> Response:
    pages.feeds.delete(KIND, ref)
    return HTMLResponse("")


# -- the form: create, duplicate, edit -----------------------------------------------------


def form_page(
    request: Request,
    pages: Pages,
    values: dict[str, Any],
    *,
    mode: str,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    """``mode``: ``create`` (Create waits for Verify), ``edit`` (Save), ``duplicate``."""
    return render(
        request,
        "ingestion/csv_form.html",
        status=status,
        values=values,
        mode=mode,
        errors=errors or {},
        mappers=[(m.id, m.name) for m in pages.mappers.list()],
        users=pages.users(),
        markings=pages.markings_for(values.get("mapper"), values.get("user")),
        auth_types=AUTH_TYPES,
        periods=PERIODS,
    )


@router.get(TAB + "/new")
def new_form(request: Request, pages: Pages = Depends()) -> Response:
    values = {"user": pages.caller.user_id, "auth_type": "none", "scheduling_period": "PT1H"}
    return form_page(request, pages, values, mode="create")


@router.get(TAB + "/{ref}/duplicate")
def duplicate_form(ref: str, request: Request, pages: Pages = Depends()) -> Response:
    """The create form pre-filled from ``ref``, named ``<name>-copy``; it must be verified."""
    values = values_of(pages.feeds.get(KIND, ref))
    values.update(name=f"{values['name']}-copy", duplicate_of=values["id"], running=False)
    return form_page(request, pages, values, mode="duplicate")


@router.get(TAB + "/{ref}/edit")
def edit_form(ref: str, request: Request, pages: Pages = Depends()) -> Response:
    return form_page(request, pages, values_of(pages.feeds.get(KIND, ref)), mode="edit")


def values_of(feed: IngesterOut) -> dict[str, Any]:
    """A feed as form values (credentials are never sent back to the browser)."""
    settings = feed.settings
    return {
        "id": feed.id,
        "name": feed.name,
        "description": feed.description,
        "url": settings.get("url", ""),
        "mapper": settings.get("mapper", ""),
        "auth_type": settings.get("auth_type", "none"),
        "username": settings.get("username"),
        "header_name": settings.get("header_name"),
        "credentials": settings.get("credentials", []),
        "markings": settings.get("markings", []),
        "user": feed.user_id,
        "import_from": (feed.import_from or "")[:10],
        "scheduling_period": feed.scheduling_period,
    }


@router.get(TAB + "/form/markings")
def markings_field(
    request: Request, pages: Pages = Depends(), mapper: str = "", user: str = ""
) -> Response:
    """The markings field for the chosen mapper and user (empty when the mapper takes none)."""
    markings = pages.markings_for(mapper or None, user or None)
    return render(request, "ingestion/csv_markings.html", markings=markings, values={}, errors={})


@router.get(TAB + "/form/auth")
def auth_fields(
    request: Request, auth_type: str = "none", _: Caller = Depends(manager)
) -> Response:
    return render(
        request,
        "ingestion/csv_auth.html",
        values={"auth_type": auth_type},
        errors={},
    )


# -- verify, create, save ------------------------------------------------------------------


def create_values(form: FormData, pages: Pages) -> FormData:
    """The form's fields for ``CsvCreate``; a duplicate's blank credentials from the original."""
    items = [(k, v) for k, v in form.multi_items() if k in CsvCreate.model_fields]
    original_ref = form.get("duplicate_of")
    if isinstance(original_ref, str) and original_ref:
        original = pages.feeds.fields_of(pages.feeds.records.get(original_ref, kind=KIND))
        typed = {k for k, v in items if isinstance(v, str) and v.strip()}
        if original.get("auth_type") == form.get("auth_type"):
            items += [
                (k, str(original[k])) for k in SECRET_FIELDS if k not in typed and k in original
            ]
    return FormData(items)


@router.post(TAB + "/verify")
async def verify(request: Request, pages: Pages = Depends()) -> Response:
    """Fetch and map the URL with the mapper: the objects found, or why none were."""
    form = await request.form()
    spec, errors = parse_form(create_values(form, pages), CsvCreate)
    context: dict[str, Any] = {"errors": errors, "problem": None, "preview": None, "rows": []}
    if spec is not None:
        try:
            preview = await run_in_threadpool(pages.feeds.test, KIND, spec)
            context.update(preview=preview, rows=preview_rows(preview.objects))
        except StixflowError as exc:
            context["problem"] = str(exc)
    return render(request, "ingestion/csv_preview.html", **context)


@router.post(TAB)
async def create(request: Request, pages: Pages = Depends()) -> Response:
    form = await request.form()
    spec, errors = parse_form(create_values(form, pages), CsvCreate)
    if spec is not None:
        try:
            await run_in_threadpool(pages.feeds.create, KIND, spec)
            return table(request, pages, headers=SAVED)
        except StixflowError as exc:
            errors = {"form": str(exc)}
    return _form_again(request, pages, form, errors, mode=_mode(form))


@router.post(TAB + "/{ref}")
async def save(ref: str, request: Request, pages: Pages = Depends()) -> Response:
    """An edit: blank credentials keep the saved ones; a new source is tested by the service."""
    form = await request.form()
    patch, errors = parse_form(_update_values(form), CsvUpdate)
    if patch is not None:
        try:
            await run_in_threadpool(pages.feeds.update, KIND, ref, patch)
            return table(request, pages, headers=SAVED)
        except StixflowError as exc:
            errors = {"form": str(exc)}
    return _form_again(request, pages, form, errors, mode="edit", ref=ref)


SAVED = {"HX-Retarget": "#csv-table-wrap", "HX-Reswap": "outerHTML", "HX-Trigger": "close-modal"}


def _update_values(form: FormData) -> FormData:
    return FormData([(k, v) for k, v in form.multi_items() if k in CsvUpdate.model_fields])


def _mode(form: FormData) -> str:
    return "duplicate" if form.get("duplicate_of") else "create"


def _form_again(
    request: Request,
    pages: Pages,
    form: FormData,
    errors: FieldErrors,
    *,
    mode: str,
    ref: str | None = None,
) -> HTMLResponse:
    values: dict[str, Any] = {
        k: v for k, v in form.items() if isinstance(v, str) and k not in SECRET_FIELDS
    }
    values["markings"] = [v for v in form.getlist("markings") if isinstance(v, str)]
    if ref is not None:
        values["id"] = ref
    return form_page(request, pages, values, mode=mode, errors=errors, status=422)
