"""*Data > Import* (``/data/import``): upload a file, pick an import connector or let every
import connector whose scope takes the file's type run, and follow the works; below, your files
(every file, for an administrator) with their import works.

Uploading needs ``KNOWLEDGE_UPDATE``, as ``POST /api/files`` (the same ``upload``); the size
limit is ``STIXFLOW_FILES__MAX_BYTES``. Only markings the caller may use are offered or accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.api.routes.files import mime_of, upload
from stixflow.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from stixflow.files.imports import file_store, import_connectors
from stixflow.runtime import Runtime
from stixflow.web.objects_view import markings_by_id
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter(prefix="/data/import")
importer = page_require(Capability.KNOWLEDGE_UPDATE)
FILES_SHOWN = 50
CHANGED = {"HX-Trigger": "files-changed"}
READ_SIZE = 1024 * 1024
#: What a form may add to its file (boundaries, headers, the other fields).
FORM_OVERHEAD = 64 * 1024
MAX_FIELDS = 50


def files_context(runtime: Runtime, caller: Caller) -> dict[str, Any]:
    store = file_store(runtime)
    mine = None if caller.is_admin else caller.user_id
    listed = store.list(uploaded_by=mine, limit=FILES_SHOWN)
    found = [f for f in listed if f.visible_to(caller.access)]
    jobs = store.jobs([f.id for f in found])
    works = {
        work_id: runtime.works.get(work_id, viewer=caller.work_viewer)
        for listed in jobs.values()
        for work_id, _ in listed
    }
    names = {c.id: c.name for c in import_connectors(runtime)}
    return {"files": found, "jobs": jobs, "works": works, "connector_names": names}


def form_context(runtime: Runtime, caller: Caller) -> dict[str, Any]:
    connectors = import_connectors(runtime)
    markings = markings_by_id(runtime, caller.access)
    return {
        "connector_options": [
            (c.id, f"{c.name} ({', '.join(c.scope) or 'any type'})") for c in connectors
        ],
        "marking_options": marking_choices(markings),
        "max_bytes": runtime.settings.files.max_bytes,
    }


def marking_choices(markings: dict[str, str]) -> list[tuple[str, str]]:
    """(id, label) by name; two markings of one name (TLP 1 and TLP 2) show their id too."""
    counts: dict[str, int] = {}
    for name in markings.values():
        counts[name] = counts.get(name, 0) + 1
    labels = {
        marking_id: name if counts[name] == 1 else f"{name} ({marking_id})"
        for marking_id, name in markings.items()
    }
    return sorted(labels.items(), key=lambda item: item[1])


@router.get("")
def import_page(
    request: Request,
    part: str | None = None,
    caller: Caller = Depends(importer),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """The page; ``?part=files`` is only its table of files (to refresh it)."""
    if part == "files":
        return render(request, "data/_files.html", caller=caller, **files_context(runtime, caller))
    return render(
        request,
        "data/import.html",
        caller=caller,
        active="import",
        **form_context(runtime, caller),
        **files_context(runtime, caller),
    )


@dataclass(frozen=True)
class ImportForm:
    name: str
    content: bytes
    mime_type: str
    connector_id: str | None
    markings: list[str]


async def read_form(request: Request, cap: int) -> ImportForm:
    """The form, refused before it is read when its declared length is past the file limit
    (and while reading, when the file itself is)."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise InvalidInput("an upload must declare its length (Content-Length)")
    if int(declared) > cap + FORM_OVERHEAD:
        raise PayloadTooLarge(f"the file is over the limit of {cap} bytes")
    async with request.form(max_files=1, max_fields=MAX_FIELDS) as form:
        chosen = form.get("file")
        if not isinstance(chosen, UploadFile) or not chosen.filename:
            raise InvalidInput("choose a file to upload")
        content = await _read(chosen, cap)
        connector = form.get("connector_id")
        return ImportForm(
            name=chosen.filename,
            content=content,
            mime_type=mime_of(chosen.filename, chosen.content_type),
            connector_id=connector if isinstance(connector, str) and connector else None,
            markings=[m for m in form.getlist("marking") if isinstance(m, str) and m],
        )


async def _read(upload_file: UploadFile, cap: int) -> bytes:
    """The uploaded content, refused as soon as it passes ``cap`` bytes."""
    parts, size = [], 0
    while chunk := await upload_file.read(READ_SIZE):
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge(f"{upload_file.filename} is over the limit of {cap} bytes")
        parts.append(chunk)
    return b"".join(parts)


@router.post("")
async def upload_for_import(
    request: Request,
    caller: Caller = Depends(importer),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """Store the file and queue its imports (``multipart/form-data``: ``file``, optional
    ``connector_id``, ``marking`` repeated)."""
    try:
        form = await read_form(request, runtime.settings.files.max_bytes)
        uploaded = await run_in_threadpool(
            lambda: upload(
                runtime,
                caller,
                name=form.name,
                content=form.content,
                mime_type=form.mime_type,
                markings=form.markings,
                entity_id=None,
                connector_id=form.connector_id,
                run=True,
            )
        )
    except (InvalidInput, Conflict, NotFound) as exc:
        return render(request, "data/_import_result.html", caller=caller, error=str(exc))
    works = [runtime.works.get(w, viewer=caller.work_viewer) for w in uploaded.work_ids]
    return render(
        request,
        "data/_import_result.html",
        caller=caller,
        error=None,
        uploaded=uploaded.file,
        works=[w for w in works if w is not None],
        headers=CHANGED,
    )
