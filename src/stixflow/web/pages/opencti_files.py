"""OpenCTI configuration files in the UI: the Import button of the ingestion tabs and of the CSV
mappers page (a modal with a file input), and the Export entry of each row's burger menu (a
download of the file OpenCTI imports, without secrets)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import Response

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.errors import InvalidInput, StixflowError
from stixflow.opencti.service import OpenCtiFiles
from stixflow.runtime import Runtime
from stixflow.web.pages.ingestion import manager
from stixflow.web.templating import render

router = APIRouter(prefix="/data/ingestion/opencti")
KINDS = {
    "csv-mapper": ("CSV mapper", "/data/csv-mappers"),
    "csv": ("CSV feed", "/data/ingestion/csv"),
    "taxii": ("TAXII feed", "/data/ingestion/taxii"),
    "taxii-push": ("TAXII Push ingester", "/data/ingestion/taxii-push"),
}
Kind = Path(pattern="^(csv-mapper|csv|taxii|taxii-push)$")
MAX_FILE_BYTES = 5 * 1024 * 1024


def files_of(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> OpenCtiFiles:
    return OpenCtiFiles(
        runtime, actor=caller.actor, administer=caller.can(Capability.INGESTION_ADMIN)
    )


@router.get("/{kind}/import")
def import_form(request: Request, kind: str = Kind, caller: Caller = Depends(manager)) -> Response:
    label, back = KINDS[kind]
    return render(request, "opencti/import.html", caller=caller, kind=kind, label=label, back=back)


@router.post("/{kind}/import")
async def import_file(
    request: Request,
    kind: str = Kind,
    file: UploadFile = File(...),
    caller: Caller = Depends(manager),
    files: OpenCtiFiles = Depends(files_of),
) -> Response:
    label, back = KINDS[kind]
    context = {"kind": kind, "label": label, "back": back}
    body = await file.read(MAX_FILE_BYTES + 1)
    try:
        if len(body) > MAX_FILE_BYTES:
            raise InvalidInput("the file is larger than 5 MiB: not an OpenCTI configuration file")
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"not a JSON file: {exc}") from exc
        imported = files.import_file(kind, document)
    except StixflowError as exc:
        return render(request, "opencti/import.html", caller=caller, error=str(exc), **context)
    return render(request, "opencti/imported.html", caller=caller, imported=imported, **context)


@router.get("/{kind}/{ref}/export")
def export_file(
    kind: str = Kind, ref: str = Path(max_length=200), files: OpenCtiFiles = Depends(files_of)
) -> Response:
    exported = files.export(kind, ref)
    name = exported.file["configuration"]["name"]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "export"
    return Response(
        orjson.dumps(exported.file, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{safe}.json"'},
    )
