"""Ingesters: ``/api/ingestion/{kind}``, kind ``taxii``, ``rss`` or ``csv``. Capability: INGESTION.

A caller sees and acts on the ingesters they created; ``INGESTION_ADMIN`` (or ``BYPASS``) on all.

List, create, get, update, delete; ``POST …/{id}/start``, ``…/stop``, ``…/reset`` (cursor back
to ``import_from``, queue purged); ``POST …/test`` (a dry run of settings not saved yet) and
``POST …/{id}/test`` (of a saved ingester): fetch and map, queue nothing, return at most 50
objects.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Response

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import PRINTABLE
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.ingest.schemas import (
    IngesterOut,
    PreviewOut,
    ResetOut,
    RssCreate,
    RssUpdate,
    TaxiiCreate,
    TaxiiUpdate,
)
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime

router = APIRouter(prefix="/api/ingestion", tags=["ingestion"])
manager = require(Capability.INGESTION)
Kind = Literal["taxii", "rss", "csv"]
IngesterRef = Path(description="ingester id or name", max_length=200, pattern=PRINTABLE)


def service_of(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> IngestionService:
    return IngestionService(
        runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
    )


@router.get("/{kind}", response_model=list[IngesterOut])
def list_ingesters(
    kind: Kind, service: IngestionService = Depends(service_of)
) -> list[IngesterOut]:
    return service.list(kind)


@router.post("/taxii", status_code=201, response_model=IngesterOut)
def create_taxii(spec: TaxiiCreate, service: IngestionService = Depends(service_of)) -> IngesterOut:
    """A TAXII 2.1 collection feed; a pasted collection or discovery URL is corrected (notes)."""
    return service.create("taxii", spec)


@router.post("/rss", status_code=201, response_model=IngesterOut)
def create_rss(spec: RssCreate, service: IngestionService = Depends(service_of)) -> IngesterOut:
    """An RSS or Atom feed: one report per new item."""
    return service.create("rss", spec)


@router.post("/taxii/test", response_model=PreviewOut)
def test_taxii(spec: TaxiiCreate, service: IngestionService = Depends(service_of)) -> PreviewOut:
    return service.test("taxii", spec)


@router.post("/rss/test", response_model=PreviewOut)
def test_rss(spec: RssCreate, service: IngestionService = Depends(service_of)) -> PreviewOut:
    return service.test("rss", spec)


@router.patch("/taxii/{ref}", response_model=IngesterOut)
def update_taxii(
    patch: TaxiiUpdate, ref: str = IngesterRef, service: IngestionService = Depends(service_of)
) -> IngesterOut:
    return service.update("taxii", ref, patch)


@router.patch("/rss/{ref}", response_model=IngesterOut)
def update_rss(
    patch: RssUpdate, ref: str = IngesterRef, service: IngestionService = Depends(service_of)
) -> IngesterOut:
    return service.update("rss", ref, patch)


@router.get("/{kind}/{ref}", response_model=IngesterOut)
def get_ingester(
    kind: Kind, ref: str = IngesterRef, service: IngestionService = Depends(service_of)
) -> IngesterOut:
    return service.get(kind, ref)


@router.delete("/{kind}/{ref}", status_code=204, response_class=Response, response_model=None)
def delete_ingester(
    kind: Kind, ref: str = IngesterRef, service: IngestionService = Depends(service_of)
) -> None:
    service.delete(kind, ref)


@router.post("/{kind}/{ref}/start", response_model=IngesterOut)
def start_ingester(
    kind: Kind, ref: str = IngesterRef, service: IngestionService = Depends(service_of)
) -> IngesterOut:
    return service.set_running(kind, ref, True)


@router.post("/{kind}/{ref}/stop", response_model=IngesterOut)
def stop_ingester(
    kind: Kind, ref: str = IngesterRef, service: IngestionService = Depends(service_of)
) -> IngesterOut:
    return service.set_running(kind, ref, False)


@router.post("/{kind}/{ref}/reset", response_model=ResetOut)
def reset_ingester(
    kind: Kind, ref: str = IngesterRef, service: IngestionService = Depends(service_of)
) -> ResetOut:
    """Cursor back to ``import_from`` and the ingester's queue purged (count returned)."""
    return service.reset(kind, ref)


@router.post("/{kind}/{ref}/test", response_model=PreviewOut)
def test_ingester(
    kind: Kind, ref: str = IngesterRef, service: IngestionService = Depends(service_of)
) -> PreviewOut:
    return service.test_existing(kind, ref)
