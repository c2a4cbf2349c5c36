"""What the TAXII feed and RSS feed tabs share: one router per feed kind over ``IngestionService``.

A tab lists its ingesters with their health, creates one through a modal form that must pass a
Verify (a dry run showing at most 50 objects) before Create is enabled, edits one with PATCH
semantics (a blank secret keeps the stored one; a blank optional field clears it), and starts,
stops, resets, duplicates or deletes one from its row's burger menu.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import MarkingOut
from stixflow.access.service import AccessService
from stixflow.api.deps import Caller, get_runtime
from stixflow.errors import StixflowError
from stixflow.ingest.schemas import IngesterCreate, IngesterOut, IngesterUpdate, PreviewOut
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime
from stixflow.stix.markings import TLP1_MARKINGS, TLP2_MARKINGS
from stixflow.web.forms import FieldErrors, field_errors, form_values
from stixflow.web.session import page_require
from stixflow.web.templating import render

manager = page_require(Capability.INGESTION)
Options = list[tuple[str, str]]
CLOSE_MODAL = {"HX-Trigger": "close-modal"}
TLP1_IDS = frozenset(marking["id"] for marking in TLP1_MARKINGS)
TLP2_IDS = frozenset(marking["id"] for marking in TLP2_MARKINGS)
COMMON_CLEARABLE: dict[str, Any] = {"description": "", "import_from": None, "proxy": None}


@dataclass(frozen=True)
class FeedTab:
    """One feed kind's tab: ``kind`` is both the service's kind and the tab key."""

    kind: str
    label: str
    intro: str
    create_model: type[IngesterCreate]
    update_model: type[IngesterUpdate]
    clearable: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/data/ingestion/{self.kind}"

    @property
    def form_template(self) -> str:
        return f"ingestion/{self.kind}_form.html"


@dataclass(frozen=True)
class Choices:
    """What the forms' selects offer: (value, text) pairs."""

    users: Options
    organizations: Options
    markings: Options
    groups: Options


def form_choices(runtime: Runtime, caller: Caller) -> Choices:
    access = AccessService(runtime.db, runtime.store, actor=caller.actor, access=caller.access)
    return Choices(
        users=[(u.id, f"{u.name} ({u.email})") for u in access.list_users()],
        organizations=[(o.id, o.name) for o in access.list_organizations()],
        markings=[(m.id, marking_label(m)) for m in access.list_markings()],
        groups=[(g.id, g.name) for g in access.list_groups()],
    )


def marking_label(marking: MarkingOut) -> str:
    """A marking's name, with its TLP version where both versions define that name."""
    if marking.id in TLP1_IDS:
        return f"{marking.name} (TLP 1.0)"
    if marking.id in TLP2_IDS:
        return f"{marking.name} (TLP 2.0)"
    return marking.name


def preview_rows(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(type, what names it) of each object a verify found."""
    return [(str(obj.get("type", "?")), label_of(obj)) for obj in objects]


def label_of(obj: dict[str, Any]) -> str:
    for key in ("name", "value", "pattern", "id"):
        if obj.get(key):
            return str(obj[key])
    return "?"


def validated(values: dict[str, Any], model: type[BaseModel]) -> tuple[Any, FieldErrors]:
    try:
        return model.model_validate(values), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def edit_values(feed: IngesterOut) -> dict[str, Any]:
    """A saved ingester as form values (no secret: the form shows which are set)."""
    hidden = {"credentials", "cert_pem", "ca_pem"}
    values = {k: v for k, v in feed.settings.items() if k not in hidden and v is not None}
    values.update(
        name=feed.name,
        description=feed.description,
        user=feed.user_id,
        import_from=(feed.import_from or "")[:10],
        scheduling_period=feed.scheduling_period,
    )
    return values


def service_of(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> IngestionService:
    return IngestionService(runtime, actor=caller.actor)


class FeedPages:
    """What the handlers of one tab render (``feed_router`` mounts the handlers)."""

    def __init__(self, tab: FeedTab) -> None:
        self.tab = tab

    def form(
        self,
        request: Request,
        caller: Caller,
        runtime: Runtime,
        *,
        values: dict[str, Any],
        feed: IngesterOut | None = None,
        errors: FieldErrors | None = None,
        verified: bool = False,
    ) -> Response:
        return render(
            request,
            self.tab.form_template,
            caller=caller,
            status=422 if errors else 200,
            feed_tab=self.tab,
            values=values,
            feed=feed,
            creating=feed is None,
            errors=errors or {},
            verified=verified,
            choices=form_choices(runtime, caller),
        )

    def table(
        self,
        request: Request,
        caller: Caller,
        service: IngestionService,
        *,
        notes: list[str],
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The tab's table (in place of the element an action targeted) and a flash message."""
        retarget = {"HX-Retarget": f"#{self.tab.kind}-table", "HX-Reswap": "outerHTML"}
        return render(
            request,
            "ingestion/_feed_saved.html",
            caller=caller,
            headers={**retarget, **(headers or {})},
            feed_tab=self.tab,
            feeds=service.list(self.tab.kind),
            notes=notes,
        )

    def row(self, request: Request, caller: Caller, feed: IngesterOut) -> Response:
        return render(
            request, "ingestion/_feed_row.html", caller=caller, feed_tab=self.tab, feed=feed
        )

    def preview(
        self,
        request: Request,
        caller: Caller,
        dry_run: Callable[[], PreviewOut] | None,
        errors: FieldErrors,
        *,
        creating: bool,
    ) -> Response:
        """Verify's answer: ``dry_run``'s objects, or what is wrong (None: invalid fields)."""
        problem, found = None, None
        if dry_run is None:
            problem = "Some fields are missing or wrong."
        else:
            try:
                found = dry_run()
            except StixflowError as exc:
                problem = str(exc)
        return render(
            request,
            "ingestion/_feed_preview.html",
            caller=caller,
            creating=creating,
            problem=problem,
            errors=errors,
            preview=found,
            rows=preview_rows(found.objects) if found else [],
        )

    def update_values(self, form: FormData) -> dict[str, Any]:
        values = form_values(form, self.tab.update_model)
        for name, cleared in {**COMMON_CLEARABLE, **self.tab.clearable}.items():
            values.setdefault(name, cleared)
        return values


def feed_router(tab: FeedTab) -> APIRouter:
    """The routes of one feed tab under ``/data/ingestion/<kind>``."""
    router = APIRouter(prefix=tab.path)
    pages = FeedPages(tab)
    _reading_routes(router, pages)
    _saving_routes(router, pages)
    _row_routes(router, pages)
    return router


def _reading_routes(router: APIRouter, pages: FeedPages) -> None:
    tab = pages.tab

    @router.get("")
    def feeds_page(
        request: Request,
        caller: Caller = Depends(manager),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        feeds = service.list(tab.kind)
        return render(
            request,
            "ingestion/_feed_page.html",
            caller=caller,
            active="ingestion",
            tab=tab.kind,
            feed_tab=tab,
            feeds=feeds,
        )

    @router.get("/new")
    def new_form(
        request: Request, caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
    ) -> Response:
        return pages.form(request, caller, runtime, values={})

    @router.get("/{ref}/edit")
    def edit_form(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        runtime: Runtime = Depends(get_runtime),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        feed = service.get(tab.kind, ref)
        return pages.form(request, caller, runtime, values=edit_values(feed), feed=feed)

    @router.get("/{ref}/duplicate")
    def duplicate_form(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        runtime: Runtime = Depends(get_runtime),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        values = edit_values(service.get(tab.kind, ref))
        values["name"] = f"{values['name']}-copy"
        return pages.form(request, caller, runtime, values=values)

    @router.post("/verify")
    async def verify(
        request: Request,
        caller: Caller = Depends(manager),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        values = form_values(await request.form(), tab.create_model)
        spec, errors = validated(values, tab.create_model)
        dry_run = (lambda: service.test(tab.kind, spec)) if spec is not None else None
        return pages.preview(request, caller, dry_run, errors, creating=True)

    @router.post("/{ref}/verify")
    async def verify_changes(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        patch, errors = validated(pages.update_values(await request.form()), tab.update_model)
        dry_run = (lambda: service.test_update(tab.kind, ref, patch)) if patch is not None else None
        return pages.preview(request, caller, dry_run, errors, creating=False)


def _saving_routes(router: APIRouter, pages: FeedPages) -> None:
    tab = pages.tab

    @router.post("")
    async def create(
        request: Request,
        caller: Caller = Depends(manager),
        runtime: Runtime = Depends(get_runtime),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        values = form_values(await request.form(), tab.create_model)
        spec, errors = validated(values, tab.create_model)
        if spec is not None:
            try:
                created = service.create(tab.kind, spec)
            except StixflowError as exc:
                errors = {"form": str(exc)}
            else:
                notes = [f"{tab.label} {created.name} created.", *created.notes]
                return pages.table(request, caller, service, notes=notes, headers=CLOSE_MODAL)
        return pages.form(request, caller, runtime, values=values, errors=errors, verified=True)

    @router.post("/{ref}/edit")
    async def update(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        runtime: Runtime = Depends(get_runtime),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        feed = service.get(tab.kind, ref)
        values = pages.update_values(await request.form())
        patch, errors = validated(values, tab.update_model)
        if patch is not None:
            try:
                saved = service.update(tab.kind, feed.id, patch)
            except StixflowError as exc:
                errors = {"form": str(exc)}
            else:
                notes = [f"{tab.label} {saved.name} saved.", *saved.notes]
                return pages.table(request, caller, service, notes=notes, headers=CLOSE_MODAL)
        return pages.form(request, caller, runtime, values=values, feed=feed, errors=errors)


def _row_routes(router: APIRouter, pages: FeedPages) -> None:
    tab = pages.tab

    @router.post("/{ref}/start")
    def start(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        return pages.row(request, caller, service.set_running(tab.kind, ref, True))

    @router.post("/{ref}/stop")
    def stop(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        return pages.row(request, caller, service.set_running(tab.kind, ref, False))

    @router.post("/{ref}/reset")
    def reset(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        done = service.reset(tab.kind, ref)
        note = f"{done.ingester.name} reset: {done.purged} queued messages purged."
        return pages.table(request, caller, service, notes=[note])

    @router.post("/{ref}/delete")
    def delete(
        request: Request,
        ref: str,
        caller: Caller = Depends(manager),
        service: IngestionService = Depends(service_of),
    ) -> Response:
        name = service.get(tab.kind, ref).name
        service.delete(tab.kind, ref)
        return pages.table(request, caller, service, notes=[f"{tab.label} {name} deleted."])
