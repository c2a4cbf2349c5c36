"""OpenCTI configuration files in and out. Capability: INGESTION (owned ingesters as elsewhere).

``POST /api/csv-mappers/import`` and ``POST /api/ingestion/{csv|taxii|taxii-push}/import`` take
an OpenCTI file as the JSON body and answer what was created with what was not imported
(``unsupported``); ``GET /api/csv-mappers/{ref}/export`` and
``GET /api/ingestion/{kind}/{ref}/export`` answer the file OpenCTI imports (no secret in it), the
settings it cannot hold listed in the ``X-Stixflow-Unsupported`` header (a JSON list).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import JSONResponse

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import PRINTABLE
from stixflow.api.deps import Caller, get_runtime, require
from stixflow.opencti.service import ExportedOut, ImportedOut, OpenCtiFiles
from stixflow.runtime import Runtime

router = APIRouter(tags=["opencti"])
manager = require(Capability.INGESTION)
FeedKind = Literal["csv", "taxii", "taxii-push"]
Ref = Path(description="id or name", max_length=200, pattern=PRINTABLE)
UNSUPPORTED_HEADER = "X-Stixflow-Unsupported"


def files_of(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> OpenCtiFiles:
    return OpenCtiFiles(
        runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
    )


Report = Query(False, description="answer {file, unsupported, notes} instead of the bare file")


def download(exported: ExportedOut, name: str, report: bool) -> JSONResponse:
    if report:
        return JSONResponse(exported.model_dump(mode="json"))
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "export"
    return JSONResponse(
        exported.file,
        headers={
            UNSUPPORTED_HEADER: json.dumps(exported.unsupported),
            "Content-Disposition": f'attachment; filename="{safe}.json"',
        },
    )


@router.post("/api/csv-mappers/import", status_code=201, response_model=ImportedOut)
def import_mapper(
    document: dict[str, Any] = Body(description="an OpenCTI csvMapper file"),
    files: OpenCtiFiles = Depends(files_of),
) -> ImportedOut:
    return files.import_file("csv-mapper", document)


@router.get("/api/csv-mappers/{ref}/export", response_class=JSONResponse)
def export_mapper(
    ref: str = Ref, report: bool = Report, files: OpenCtiFiles = Depends(files_of)
) -> JSONResponse:
    exported = files.export("csv-mapper", ref)
    return download(exported, exported.file["configuration"]["name"], report)


@router.post("/api/ingestion/{kind}/import", status_code=201, response_model=ImportedOut)
def import_ingester(
    kind: FeedKind,
    document: dict[str, Any] = Body(
        description="an OpenCTI csvFeeds, taxiiFeeds or taxiiPushCollections file"
    ),
    files: OpenCtiFiles = Depends(files_of),
) -> ImportedOut:
    return files.import_file(kind, document)


@router.get("/api/ingestion/{kind}/{ref}/export", response_class=JSONResponse)
def export_ingester(
    kind: FeedKind,
    ref: str = Ref,
    report: bool = Report,
    files: OpenCtiFiles = Depends(files_of),
) -> JSONResponse:
    exported = files.export(kind, ref)
    return download(exported, exported.file["configuration"]["name"], report)
