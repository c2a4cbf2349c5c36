"""Mount the web UI on the API application: static files, page routers, page errors."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from stixflow.web import errors
from stixflow.web.pages import (
    auth,
    connectors,
    csv_feeds,
    csv_mappers,
    dashboard,
    enrich,
    imports,
    live_streams,
    objects,
    opencti_files,
    rss_feeds,
    taxii_feeds,
    taxii_push,
    works,
)
from stixflow.web.templating import STATIC

PAGES = (
    auth,
    opencti_files,
    dashboard,
    enrich,
    objects,
    connectors,
    live_streams,
    taxii_feeds,
    taxii_push,
    rss_feeds,
    csv_feeds,
    csv_mappers,
    imports,
    works,
)


def install(app: FastAPI) -> None:
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in PAGES:
        app.include_router(module.router, include_in_schema=False)
