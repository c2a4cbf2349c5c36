"""``/data/ingestion/csv``: the CSV feeds tab (capability INGESTION).

The tab, its table and its rows' actions are the shared feed tab's (``feed_routes``), with a
column naming each feed's mapper. The form is CSV's own: a feed is created from a modal form whose
Create button stays disabled until "Verify" has fetched the URL and mapped it with the chosen
mapper (up to 50 objects listed). The markings field appears only when the chosen mapper lets the
user choose markings, and then lists the markings of the user responsible for the data (not the
caller's). Duplicate opens the same form pre-filled, named ``<name>-copy``; credentials the form
leaves blank are taken from the original, unless the copy's URL (or proxy) is another one.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from stixflow.access.markings import list_markings
from stixflow.access.principal import principal_of
from stixflow.api.deps import Caller
from stixflow.csvmap.model import asks_user_choice
from stixflow.csvmap.service import MapperService
from stixflow.errors import NotFound, StixflowError
from stixflow.ingest.csv import SECRET_FIELDS
from stixflow.ingest.schemas import CsvCreate, CsvUpdate, IngesterOut
from stixflow.web.forms import FieldErrors, parse_form
from stixflow.web.pages.csv_mappers import preview_rows
from stixflow.web.pages.feed_routes import table_routes
from stixflow.web.pages.feed_tabs import FeedContext, FeedPages, FeedTab
from stixflow.web.pages.ingestion import CLOSE_MODAL, manager, user_choices
from stixflow.web.templating import render

CSV = FeedTab(
    kind="csv",
    label="CSV feed",
    intro="CSV feeds import a CSV file published at a URL with a CSV mapper.",
    create_model=CsvCreate,
    update_model=CsvUpdate,
    extra_column="CSV mapper",
    reset_hint="Its next run imports the whole file again from the import date.",
)
KIND = CSV.kind
AUTH_TYPES = (
    ("none", "None"),
    ("basic", "Basic user / password"),
    ("bearer", "Bearer token"),
    ("header", "Custom header (e.g. X-Api-Key)"),
)
PERIODS = (("PT1H", "every hour"), ("PT15M", "every 15 minutes"), ("P1D", "every day"))


class CsvPages(FeedPages):
    """The shared tab, on CSV's page, with each feed's mapper in the extra column."""

    page_template = "ingestion/csv.html"

    def extra_cells(self, ctx: FeedContext, feeds: list[IngesterOut]) -> dict[str, str]:
        mappers = MapperService(ctx.runtime, actor=ctx.caller.actor)
        names = {mapper.id: mapper.name for mapper in mappers.list()}
        cells = {}
        for feed in feeds:
            mapper = feed.settings.get("mapper", "")
            cells[feed.id] = names.get(mapper, mapper)
        return cells


class CsvContext(FeedContext):
    """A feed tab's context, with the mappers and the form's choices."""

    @cached_property
    def mappers(self) -> MapperService:
        return MapperService(self.runtime, actor=self.caller.actor)

    def users(self) -> list[tuple[str, str]]:
        return user_choices(self.runtime)

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


PAGES = CsvPages(CSV)
router = APIRouter(prefix=CSV.path)
table_routes(router, PAGES)


# -- the form: create, duplicate, edit -----------------------------------------------------


def form_page(
    request: Request,
    ctx: CsvContext,
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
        mappers=[(m.id, m.name) for m in ctx.mappers.list()],
        users=ctx.users(),
        markings=ctx.markings_for(values.get("mapper"), values.get("user")),
        auth_types=AUTH_TYPES,
        periods=PERIODS,
    )


@router.get("/new")
def new_form(request: Request, ctx: CsvContext = Depends()) -> Response:
    values = {"user": ctx.caller.user_id, "auth_type": "none", "scheduling_period": "PT1H"}
    return form_page(request, ctx, values, mode="create")


@router.get("/{ref}/duplicate")
def duplicate_form(ref: str, request: Request, ctx: CsvContext = Depends()) -> Response:
    """The create form pre-filled from ``ref``, named ``<name>-copy``; it must be verified."""
    values = values_of(ctx.service.get(KIND, ref))
    values.update(name=f"{values['name']}-copy", duplicate_of=values["id"], running=False)
    return form_page(request, ctx, values, mode="duplicate")


@router.get("/{ref}/edit")
def edit_form(ref: str, request: Request, ctx: CsvContext = Depends()) -> Response:
    return form_page(request, ctx, values_of(ctx.service.get(KIND, ref)), mode="edit")


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


@router.get("/form/markings")
def markings_field(
    request: Request, ctx: CsvContext = Depends(), mapper: str = "", user: str = ""
) -> Response:
    """The markings field for the chosen mapper and user (empty when the mapper takes none)."""
    markings = ctx.markings_for(mapper or None, user or None)
    return render(request, "ingestion/csv_markings.html", markings=markings, values={}, errors={})


@router.get("/form/auth")
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


def create_values(form: FormData, ctx: CsvContext) -> FormData:
    """The form's fields for ``CsvCreate``; a duplicate's blank credentials from the original,
    with the same authentication, only when the copy goes to the original's destination."""
    items = [(k, v) for k, v in form.multi_items() if k in CsvCreate.model_fields]
    original_ref = form.get("duplicate_of")
    if isinstance(original_ref, str) and original_ref:
        typed = {k: v for k, v in items if isinstance(v, str) and v.strip()}
        original = ctx.service.get(KIND, original_ref).settings
        if original.get("auth_type") == form.get("auth_type"):
            secret = ctx.service.copied_secret(KIND, original_ref, typed)
            items += [(k, str(v)) for k, v in secret.items() if k not in typed]
    return FormData(items)


@router.post("/verify")
async def verify(request: Request, ctx: CsvContext = Depends()) -> Response:
    """Fetch and map the URL with the mapper: the objects found, or why none were."""
    form = await request.form()
    spec, errors = parse_form(create_values(form, ctx), CsvCreate)
    context: dict[str, Any] = {"errors": errors, "problem": None, "preview": None, "rows": []}
    if spec is not None:
        try:
            preview = await run_in_threadpool(ctx.service.test, KIND, spec)
            context.update(preview=preview, rows=preview_rows(preview.objects))
        except StixflowError as exc:
            context["problem"] = str(exc)
    return render(request, "ingestion/csv_preview.html", **context)


@router.post("")
async def create(request: Request, ctx: CsvContext = Depends()) -> Response:
    form = await request.form()
    spec, errors = parse_form(create_values(form, ctx), CsvCreate)
    if spec is not None:
        try:
            created = await run_in_threadpool(ctx.service.create, KIND, spec)
        except StixflowError as exc:
            errors = {"form": str(exc)}
        else:
            notes = [f"{CSV.label} {created.name} created.", *created.notes]
            return PAGES.table(request, ctx, notes=notes, headers=CLOSE_MODAL)
    return _form_again(request, ctx, form, errors, mode=_mode(form))


@router.post("/{ref}")
async def save(ref: str, request: Request, ctx: CsvContext = Depends()) -> Response:
    """An edit: blank credentials keep the saved ones; a new source is tested by the service."""
    form = await request.form()
    patch, errors = parse_form(_update_values(form), CsvUpdate)
    if patch is not None:
        try:
            saved = await run_in_threadpool(ctx.service.update, KIND, ref, patch)
        except StixflowError as exc:
            errors = {"form": str(exc)}
        else:
            notes = [f"{CSV.label} {saved.name} saved.", *saved.notes]
            return PAGES.table(request, ctx, notes=notes, headers=CLOSE_MODAL)
    return _form_again(request, ctx, form, errors, mode="edit", ref=ref)


def _update_values(form: FormData) -> FormData:
    return FormData([(k, v) for k, v in form.multi_items() if k in CsvUpdate.model_fields])


def _mode(form: FormData) -> str:
    return "duplicate" if form.get("duplicate_of") else "create"


def _form_again(
    request: Request,
    ctx: CsvContext,
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
    return form_page(request, ctx, values, mode=mode, errors=errors, status=422)
