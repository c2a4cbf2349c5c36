"""The app factory: builds the FastAPI application around a runtime (no import-time I/O)."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from stixflow import __version__
from stixflow.api import errors
from stixflow.api.limits import BodySizeLimit, NulInUrl
from stixflow.api.routes import (
    audit,
    bundles,
    connectors,
    connectors_graphql,
    csv_mappers,
    deadletters,
    export,
    files,
    groups,
    health,
    ingestion,
    live_streams,
    markings,
    me,
    metrics,
    objects,
    opencti_files,
    organizations,
    references,
    streams,
    taxii,
    taxii_collections,
    taxii_push,
    tokens,
    users,
    works,
)
from stixflow.metrics.collector import PlatformCollector
from stixflow.metrics.http import RequestTimer
from stixflow.runtime import Runtime
from stixflow.web import app as web


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="stixflow",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.metrics = CollectorRegistry()
    app.state.metrics.register(PlatformCollector(runtime))
    errors.install(app)
    # sharing first: its /api/ingestion/<kind> paths must win over generic ingestion routes
    for module in (
        opencti_files,
        taxii,
        taxii_collections,
        taxii_push,
        live_streams,
        streams,
        csv_mappers,
    ):
        app.include_router(module.router)
    for module in (
        health,
        metrics,
        bundles,
        works,
        objects,
        references,
        export,
        deadletters,
        me,
        users,
        tokens,
        groups,
        organizations,
        markings,
        audit,
        ingestion,
        connectors,
        connectors_graphql,
        files,
    ):
        app.include_router(module.router)
    web.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(NulInUrl)
    app.add_middleware(RequestTimer, registry=app.state.metrics)
    return app
