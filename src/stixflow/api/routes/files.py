"""Files for import connectors: ``/api/files`` (upload, list, import) and ``/storage/get/{id}``
(the content, as OpenCTI serves it to ``fetch_opencti_file``).

Uploading and importing need ``KNOWLEDGE_UPDATE``. A file is read by its uploader, an
administrator, or the user of a connector given a job for it, and only by a reader whose allowed
markings cover the file's markings; anyone else gets 404, as for a file that does not exist.
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from stixflow.access.capabilities import Capability
from stixflow.access.markings import resolve_marking
from stixflow.api.deps import Caller, get_caller, get_runtime, require
from stixflow.errors import NotFound, PayloadTooLarge
from stixflow.files.imports import file_store, request_import
from stixflow.files.store import StoredFile
from stixflow.runtime import Runtime

router = APIRouter(tags=["files"])
writer = require(Capability.KNOWLEDGE_UPDATE)


class FileOut(BaseModel):
    id: str
    name: str
    mime_type: str
    size: int
    sha256: str
    markings: list[str]
    entity_id: str | None
    uploaded_by: str | None
    created_at: str
    fetch: str

    @classmethod
    def of(cls, stored: StoredFile) -> FileOut:
        fields = {k: v for k, v in stored.__dict__.items() if k != "markings"}
        return cls(**fields, markings=list(stored.markings), fetch=stored.fetch_path)


class ImportRequest(BaseModel):
    connector_id: str | None = None


class Uploaded(BaseModel):
    file: FileOut
    work_ids: list[str]


def mime_of(name: str, declared: str | None) -> str:
    """The declared type, or the one its name suggests when none (or a generic one) is given."""
    plain = (declared or "").split(";", 1)[0].strip().lower()
    if plain and plain not in ("application/octet-stream", "application/x-www-form-urlencoded"):
        return plain
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def readable_file(runtime: Runtime, caller: Caller, file_id: str) -> StoredFile:
    store = file_store(runtime)
    stored = store.get(file_id)
    if not store.may_read(
        stored, user_id=caller.user_id, is_admin=caller.is_admin, access=caller.access
    ) and not _entity_readable(runtime, caller, stored):
        raise NotFound(f"no file {file_id}")
    return stored


def _entity_readable(runtime: Runtime, caller: Caller, stored: StoredFile) -> bool:
    """A file attached to an entity (a sample, an export) is read by whoever may read the
    entity and the file's markings, with ``KNOWLEDGE`` or ``CONNECTORAPI``."""
    if not stored.entity_id or not stored.visible_to(caller.access):
        return False
    if not (caller.can(Capability.KNOWLEDGE) or caller.can(Capability.CONNECTORAPI)):
        return False
    if stored.entity_id.startswith("external-reference--"):
        return True
    return runtime.store.get(stored.entity_id, access=caller.access) is not None


async def read_capped(request: Request, cap: int) -> bytes:
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > cap:
            raise PayloadTooLarge(f"file over the limit of {cap} bytes")
        parts.append(part)
    return b"".join(parts)


def upload(
    runtime: Runtime,
    caller: Caller,
    *,
    name: str,
    content: bytes,
    mime_type: str,
    markings: list[str],
    entity_id: str | None,
    connector_id: str | None,
    run: bool,
) -> Uploaded:
    """Store a file and, with ``run``, queue its import jobs (shared with the web UI)."""
    with runtime.db.read() as tx:
        ids = [resolve_marking(tx, ref) for ref in markings]
    allowed = caller.access.allowed_markings
    if allowed is not None and not set(ids) <= allowed:
        raise NotFound("no such marking")  # never confirm markings the caller may not use
    stored = file_store(runtime).put(
        name,
        content,
        mime_type=mime_type,
        markings=ids,
        entity_id=entity_id,
        uploaded_by=caller.user_id,
    )
    works = request_import(runtime, caller.actor, stored, connector_id) if run else []
    return Uploaded(file=FileOut.of(stored), work_ids=[w.id for w in works])


@router.post("/api/files", status_code=201, response_model=Uploaded)
async def upload_file(
    request: Request,
    name: str = Query(..., min_length=1, max_length=200),
    marking: list[str] = Query([]),
    entity_id: str | None = Query(None),
    connector: str | None = Query(None, description="import with this connector"),
    run: bool = Query(True, description="queue the import at once"),
    caller: Caller = Depends(writer),
    runtime: Runtime = Depends(get_runtime),
) -> Uploaded:
    """Upload a file (the request body) and import it: with ``connector``, or with every
    import connector whose scope takes its MIME type (``Content-Type``, else its name's)."""
    content = await read_capped(request, runtime.settings.files.max_bytes)
    return await run_in_threadpool(
        lambda: upload(
            runtime,
            caller,
            name=name,
            content=content,
            mime_type=mime_of(name, request.headers.get("content-type")),
            markings=marking,
            entity_id=entity_id,
            connector_id=connector,
            run=run,
        )
    )


@router.get("/api/files", response_model=list[FileOut])
def list_files(
    caller: Caller = Depends(writer), runtime: Runtime = Depends(get_runtime)
) -> list[FileOut]:
    """Your files (every file, for an administrator)."""
    mine = None if caller.is_admin else caller.user_id
    found = file_store(runtime).list(uploaded_by=mine)
    return [FileOut.of(f) for f in found if f.visible_to(caller.access)]


@router.post("/api/files/{file_id:path}/import", status_code=202, response_model=list[str])
def import_file(
    file_id: str,
    spec: ImportRequest,
    caller: Caller = Depends(writer),
    runtime: Runtime = Depends(get_runtime),
) -> list[str]:
    """Import a stored file again; the ids of the works opened."""
    stored = readable_file(runtime, caller, file_id)
    return [w.id for w in request_import(runtime, caller.actor, stored, spec.connector_id)]


@router.get("/storage/get/{file_id:path}")
def get_content(
    file_id: str, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    """The file's content (pycti's ``fetch_opencti_file``)."""
    stored = readable_file(runtime, caller, file_id)
    content = file_store(runtime).content(stored.id)
    headers = {"Content-Disposition": f'attachment; filename="{stored.name}"'}
    return Response(content, media_type=stored.mime_type, headers=headers)
