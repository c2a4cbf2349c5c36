"""The handlers of a feed tab under ``/data/ingestion/<kind>`` (see ``feed_tabs``).

``table_routes`` serves the tab and its rows' actions (start, stop, reset, delete): every feed
tab has them. ``feed_router`` adds the shared form (new, edit, duplicate, verify, create, save)
for the tabs that have no form of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from stixflow.errors import StixflowError
from stixflow.web.forms import form_values
from stixflow.web.pages.feed_tabs import (
    FeedContext,
    FeedPages,
    FeedTab,
    edit_values,
    validated,
)
from stixflow.web.pages.ingestion import CLOSE_MODAL


def feed_router(tab: FeedTab) -> APIRouter:
    """All the routes of a feed tab that uses the shared form."""
    router = APIRouter(prefix=tab.path)
    pages = FeedPages(tab)
    table_routes(router, pages)
    _form_routes(router, pages)
    _verify_routes(router, pages)
    _saving_routes(router, pages)
    return router


def table_routes(router: APIRouter, pages: FeedPages) -> None:
    """The tab itself and its rows' burger actions."""
    tab = pages.tab

    @router.get("")
    def feeds_page(request: Request, ctx: FeedContext = Depends()) -> Response:
        return pages.page(request, ctx)

    for action, running in (("start", True), ("stop", False)):
        router.add_api_route(f"/{{ref}}/{action}", _runner(pages, running), methods=["POST"])

    @router.post("/{ref}/reset")
    def reset(request: Request, ref: str, ctx: FeedContext = Depends()) -> Response:
        done = ctx.service.reset(tab.kind, ref)
        note = f"{done.ingester.name} reset: {done.purged} queued messages purged."
        return pages.table(request, ctx, notes=[note])

    @router.post("/{ref}/delete")
    def delete(request: Request, ref: str, ctx: FeedContext = Depends()) -> Response:
        name = ctx.service.get(tab.kind, ref).name
        ctx.service.delete(tab.kind, ref)
        return pages.table(request, ctx, notes=[f"{tab.label} {name} deleted."])


def _runner(pages: FeedPages, running: bool) -> Callable[..., Response]:
    """The handler that starts (``running``) or stops a feed and answers with its row."""

    def set_running(request: Request, ref: str, ctx: FeedContext = Depends()) -> Response:
        return pages.row(request, ctx, ctx.service.set_running(pages.tab.kind, ref, running))

    return set_running


def _form_routes(router: APIRouter, pages: FeedPages) -> None:
    tab = pages.tab

    @router.get("/new")
    def new_form(request: Request, ctx: FeedContext = Depends()) -> Response:
        return pages.form(request, ctx, values={})

    @router.get("/{ref}/edit")
    def edit_form(request: Request, ref: str, ctx: FeedContext = Depends()) -> Response:
        feed = ctx.service.get(tab.kind, ref)
        return pages.form(request, ctx, values=edit_values(feed), feed=feed)

    @router.get("/{ref}/duplicate")
    def duplicate_form(request: Request, ref: str, ctx: FeedContext = Depends()) -> Response:
        values = edit_values(ctx.service.get(tab.kind, ref))
        values["name"] = f"{values['name']}-copy"
        return pages.form(request, ctx, values=values)


def _verify_routes(router: APIRouter, pages: FeedPages) -> None:
    tab = pages.tab

    @router.post("/verify")
    async def verify(request: Request, ctx: FeedContext = Depends()) -> Response:
        values = form_values(await request.form(), tab.create_model)
        spec, errors = validated(values, tab.create_model)
        dry_run = (lambda: ctx.service.test(tab.kind, spec)) if spec is not None else None
        return pages.preview(request, ctx, dry_run, errors, creating=True)

    @router.post("/{ref}/verify")
    async def verify_changes(request: Request, ref: str, ctx: FeedContext = Depends()) -> Response:
        patch, errors = validated(pages.update_values(await request.form()), tab.update_model)
        dry_run = (
            (lambda: ctx.service.test_update(tab.kind, ref, patch)) if patch is not None else None
        )
        return pages.preview(request, ctx, dry_run, errors, creating=False)


def _saving_routes(router: APIRouter, pages: FeedPages) -> None:
    tab = pages.tab

    @router.post("")
    async def create(request: Request, ctx: FeedContext = Depends()) -> Response:
        values = form_values(await request.form(), tab.create_model)
        spec, errors = validated(values, tab.create_model)
        if spec is not None:
            try:
                created = ctx.service.create(tab.kind, spec)
            except StixflowError as exc:
                errors = {"form": str(exc)}
            else:
                notes = [f"{tab.label} {created.name} created.", *created.notes]
                return pages.table(request, ctx, notes=notes, headers=CLOSE_MODAL)
        return pages.form(request, ctx, values=values, errors=errors, verified=True)

    @router.post("/{ref}/edit")
    async def update(request: Request, ref: str, ctx: FeedContext = Depends()) -> Response:
        feed = ctx.service.get(tab.kind, ref)
        values = pages.update_values(await request.form())
        patch, errors = validated(values, tab.update_model)
        if patch is not None:
            try:
                saved = ctx.service.update(tab.kind, feed.id, patch)
            except StixflowError as exc:
                errors = {"form": str(exc)}
            else:
                notes = [f"{tab.label} {saved.name} saved.", *saved.notes]
                return pages.table(request, ctx, notes=notes, headers=CLOSE_MODAL)
        return pages.form(request, ctx, values=values, feed=feed, errors=errors)
