"""What the TAXII feed, RSS feed and CSV feed tabs share over ``IngestionService``.

A tab lists its ingesters with their health, creates one through a modal form that must pass a
Verify (a dry run showing at most 50 objects) before Create is enabled, edits one with PATCH
semantics (a blank secret keeps the stored one; a blank optional field clears it), and starts,
stops, resets, duplicates or deletes one from its row's burger menu. ``FeedTab`` describes a tab,
``FeedPages`` renders it; ``feed_routes`` mounts the handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request
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
from stixflow.web.pages.ingestion import manager, user_choices
from stixflow.web.templating import render

Options = list[tuple[str, str]]
TLP1_IDS = frozenset(marking["id"] for marking in TLP1_MARKINGS)
TLP2_IDS = frozenset(marking["id"] for marking in TLP2_MARKINGS)
COMMON_CLEARABLE: dict[str, Any] = {"description": "", "import_from": None, "proxy": None}
RESET_HINT = (
    "Its cursor goes back to the import date (items are fetched again) and its queued messages"
    " are purged."
)


@dataclass(frozen=True)
class FeedTab:
    """One feed kind's tab: ``kind`` is both the service's kind and the tab key.

    ``extra_column`` heads a column after the name whose cells ``FeedPages.extra_cells`` fills.
    """

    kind: str
    label: str
    intro: str
    create_model: type[IngesterCreate]
    update_model: type[IngesterUpdate]
    clearable: dict[str, Any] = field(default_factory=dict)
    extra_column: str | None = None
    reset_hint: str = RESET_HINT

    @property
    def path(self) -> str:
        return f"/data/ingestion/{self.kind}"

    @property
    def form_template(self) -> str:
        return f"ingestion/{self.kind}_form.html"

    @property
    def columns(self) -> int:
        return 8 if self.extra_column else 7


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
        users=user_choices(runtime),
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


class FeedContext:
    """What a tab's handler works with: the signed-in manager, the runtime, the service."""

    def __init__(
        self, caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
    ) -> None:
        self.caller = caller
        self.runtime = runtime
        self.service = IngestionService(
            runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
        )


class FeedPages:
    """What the handlers of one tab render (``feed_routes`` mounts the handlers)."""

    page_template = "ingestion/_feed_page.html"

    def __init__(self, tab: FeedTab) -> None:
        self.tab = tab

    def extra_cells(self, ctx: FeedContext, feeds: list[IngesterOut]) -> dict[str, str]:
        """The text of the tab's ``extra_column`` per feed id (the tab has none by default)."""
        return {}

    def page(self, request: Request, ctx: FeedContext) -> Response:
        feeds = ctx.service.list(self.tab.kind)
        return render(
            request,
            self.page_template,
            caller=ctx.caller,
            active="ingestion",
            tab=self.tab.kind,
            feed_tab=self.tab,
            feeds=feeds,
            extra_cells=self.extra_cells(ctx, feeds),
        )

    def form(
        self,
        request: Request,
        ctx: FeedContext,
        *,
        values: dict[str, Any],
        feed: IngesterOut | None = None,
        errors: FieldErrors | None = None,
        verified: bool = False,
    ) -> Response:
        return render(
            request,
            self.tab.form_template,
            caller=ctx.caller,
            status=422 if errors else 200,
            feed_tab=self.tab,
            values=values,
            feed=feed,
            creating=feed is None,
            errors=errors or {},
            verified=verified,
            choices=form_choices(ctx.runtime, ctx.caller),
        )

    def table(
        self,
        request: Request,
        ctx: FeedContext,
        *,
        notes: list[str],
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The tab's table (in place of the element an action targeted) and a flash message."""
        retarget = {"HX-Retarget": f"#{self.tab.kind}-table", "HX-Reswap": "outerHTML"}
        feeds = ctx.service.list(self.tab.kind)
        return render(
            request,
            "ingestion/_feed_saved.html",
            caller=ctx.caller,
            headers={**retarget, **(headers or {})},
            feed_tab=self.tab,
            feeds=feeds,
            extra_cells=self.extra_cells(ctx, feeds),
            notes=notes,
        )

    def row(self, request: Request, ctx: FeedContext, feed: IngesterOut) -> Response:
        return render(
            request,
            "ingestion/_feed_row.html",
            caller=ctx.caller,
            feed_tab=self.tab,
            feed=feed,
            extra_cells=self.extra_cells(ctx, [feed]),
        )

    def preview(
        self,
        request: Request,
        ctx: FeedContext,
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
            caller=ctx.caller,
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
