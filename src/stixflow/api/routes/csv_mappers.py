"""CSV mappers (``/api/csv-mappers``) and CSV feeds' own routes. Capability: INGESTION.

Mappers: list, create, get, replace, delete (refused while a feed uses it);
``POST …/{id}/test`` maps an uploaded sample (``file``) or the file at ``url`` and returns the
counts and the first 50 objects, queuing nothing; ``POST …/{id}/import`` maps an uploaded file
and queues it as one work (202). CSV feeds: ``POST /api/ingestion/csv`` (created once a test of
URL + mapper passes), ``…/csv/test``, ``PATCH …/csv/{id}``, ``POST …/csv/{id}/duplicate``; the
other feed routes are the generic ``/api/ingestion/{kind}`` ones.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from fastapi import APIRouter, Depends, File, Form, Path, Response, UploadFile

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import PRINTABLE
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.csvmap.model import CsvMapperSpec
from stixflow.csvmap.schemas import ImportOut, MapperOut, TestOut
from stixflow.csvmap.service import MapperService
from stixflow.errors import InvalidInput
from stixflow.ingest import csv as csv_feed
from stixflow.ingest.schemas import CsvCreate, CsvUpdate, IngesterOut, PreviewOut
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime

router = APIRouter(tags=["csv"])
manager = require(Capability.INGESTION)
MapperRef = Path(description="mapper id or name", max_length=200, pattern=PRINTABLE)
IngesterRef = Path(description="ingester id or name", max_length=200, pattern=PRINTABLE)


def mappers_of(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> MapperService:
    return MapperService(runtime, actor=caller.actor)


def ingestion_of(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> IngestionService:
    return IngestionService(
        runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
    )


def text_lines(upload: UploadFile) -> Iterable[str]:
    """The upload's lines, streamed (FastAPI spools large uploads to disk)."""
    return io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace", newline="")


@router.get("/api/csv-mappers", response_model=list[MapperOut])
def list_mappers(service: MapperService = Depends(mappers_of)) -> list[MapperOut]:
    return service.list()


@router.post("/api/csv-mappers", status_code=201, response_model=MapperOut)
def create_mapper(spec: CsvMapperSpec, service: MapperService = Depends(mappers_of)) -> MapperOut:
    """Checked before it is saved: a mandatory attribute left unmapped is refused (400)."""
    return service.create(spec)


@router.get("/api/csv-mappers/{ref}", response_model=MapperOut)
def get_mapper(ref: str = MapperRef, service: MapperService = Depends(mappers_of)) -> MapperOut:
    return service.get(ref)


@router.put("/api/csv-mappers/{ref}", response_model=MapperOut)
def replace_mapper(
    spec: CsvMapperSpec, ref: str = MapperRef, service: MapperService = Depends(mappers_of)
) -> MapperOut:
    return service.update(ref, spec)


@router.delete(
    "/api/csv-mappers/{ref}", status_code=204, response_class=Response, response_model=None
)
def delete_mapper(ref: str = MapperRef, service: MapperService = Depends(mappers_of)) -> None:
    service.delete(ref)


@router.post("/api/csv-mappers/{ref}/test", response_model=TestOut)
def test_mapper(
    ref: str = MapperRef,
    file: UploadFile | None = File(None, description="a sample of the CSV file"),
    url: str | None = Form(None, description="or the URL of the CSV file"),
    markings: list[str] = Form([], description="the 'user-choice' markings"),
    service: MapperService = Depends(mappers_of),
) -> TestOut:
    if (file is None) == (url is None):
        raise InvalidInput("give a file or a url (one of them)")
    if file is None:
        return service.test_url(ref, url or "", markings=markings)
    return service.test(ref, text_lines(file), markings=markings)


@router.post("/api/csv-mappers/{ref}/import", status_code=202, response_model=ImportOut)
def import_csv(
    ref: str = MapperRef,
    file: UploadFile = File(description="the CSV file"),
    markings: list[str] = Form([], description="the 'user-choice' markings"),
    service: MapperService = Depends(mappers_of),
) -> ImportOut:
    """Map and queue the file as one work (follow it at ``/api/works/{work_id}``)."""
    return service.import_lines(
        ref, text_lines(file), name=file.filename or "upload.csv", markings=markings
    )


@router.post("/api/ingestion/csv", status_code=201, response_model=IngesterOut)
def create_csv_feed(
    spec: CsvCreate, service: IngestionService = Depends(ingestion_of)
) -> IngesterOut:
    """A CSV feed; created only when a test of the URL with the mapper maps rows."""
    return service.create("csv", spec)


@router.post("/api/ingestion/csv/test", response_model=PreviewOut)
def test_csv_feed(spec: CsvCreate, service: IngestionService = Depends(ingestion_of)) -> PreviewOut:
    return service.test("csv", spec)


@router.patch("/api/ingestion/csv/{ref}", response_model=IngesterOut)
def update_csv_feed(
    patch: CsvUpdate, ref: str = IngesterRef, service: IngestionService = Depends(ingestion_of)
) -> IngesterOut:
    return service.update("csv", ref, patch)


@router.post("/api/ingestion/csv/{ref}/duplicate", status_code=201, response_model=IngesterOut)
def duplicate_csv_feed(
    ref: str = IngesterRef, service: IngestionService = Depends(ingestion_of)
) -> IngesterOut:
    """A stopped copy named ``<name>-copy`` with the same settings and credentials."""
    return csv_feed.duplicate(service, ref)
