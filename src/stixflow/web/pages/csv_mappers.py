"""``/data/csv-mappers``: the CSV mappers list and the mapper builder (capability INGESTION).

The builder is one form (``csv_mapper_form``). Adding, removing or retyping a representation
posts the whole form and re-renders the list of representations, so every block keeps its index
and every ``based_on`` choice lists the current representations. "Test on a file" maps an
uploaded CSV with the form as it stands (nothing saved, nothing queued); "Save" runs the
mapper's save-time checks and shows each problem beside its representation.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.csvmap.model import CsvMapperSpec
from stixflow.csvmap.schemas import TestOut
from stixflow.csvmap.service import MapperService
from stixflow.csvmap.tester import problem_column
from stixflow.errors import Conflict, InvalidInput
from stixflow.runtime import Runtime
from stixflow.web.pages.csv_mapper_form import (
    MARKING_CHOICES,
    MapperDraft,
    draft_from_form,
    draft_from_spec,
    spec_from_draft,
    target_groups,
)
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter()
manager = page_require(Capability.INGESTION)
LIST = "/data/csv-mappers"


def mappers_of(
    caller: Caller = Depends(manager), runtime: Runtime = Depends(get_runtime)
) -> MapperService:
    return MapperService(runtime, actor=caller.actor)


@router.get(LIST)
def list_page(
    request: Request,
    caller: Caller = Depends(manager),
    service: MapperService = Depends(mappers_of),
) -> Response:
    return render(
        request,
        "csv_mappers/list.html",
        caller=caller,
        active="csv-mappers",
        mappers=service.list(),
    )


@router.get(f"{LIST}/new")
def new_page(
    request: Request,
    caller: Caller = Depends(manager),
    service: MapperService = Depends(mappers_of),
    copy_of: str | None = None,
) -> Response:
    """An empty builder, or (``copy_of``) one pre-filled from a mapper, named ``<name>-copy``."""
    if copy_of:
        original = service.get(copy_of)
        draft = draft_from_spec(original.spec, name=f"{original.name}-copy")
    else:
        draft = MapperDraft(has_header=True)
        draft.add_representation()
    return builder(request, caller, draft, action=LIST, title="Create CSV mapper")


@router.get(LIST + "/{ref}/edit")
def edit_page(
    ref: str,
    request: Request,
    caller: Caller = Depends(manager),
    service: MapperService = Depends(mappers_of),
) -> Response:
    mapper = service.get(ref)
    draft = draft_from_spec(mapper.spec)
    return builder(
        request, caller, draft, action=f"{LIST}/{mapper.id}", title=f"Edit CSV mapper {mapper.name}"
    )


def builder(
    request: Request,
    caller: Caller,
    draft: MapperDraft,
    *,
    action: str,
    title: str,
    status: int = 200,
    template: str = "csv_mappers/builder.html",
) -> HTMLResponse:
    return render(
        request,
        template,
        caller=caller,
        status=status,
        active="csv-mappers",
        draft=draft,
        action=action,
        title=title,
        target_groups=target_groups(),
        marking_choices=MARKING_CHOICES,
    )


@router.post(f"{LIST}/builder/representations")
async def representations(request: Request, caller: Caller = Depends(manager)) -> Response:
    """The representation blocks after ``op``: ``add``, ``remove`` (``index``) or ``refresh``."""
    form = await request.form()
    draft = draft_from_form(form)
    op, index = form.get("op"), form.get("index")
    if op == "add":
        draft.add_representation()
    elif op == "remove" and isinstance(index, str) and index.isdigit():
        draft.remove_representation(int(index))
    return render(
        request,
        "csv_mappers/_representations.html",
        caller=caller,
        draft=draft,
        target_groups=target_groups(),
        marking_choices=MARKING_CHOICES,
    )


@router.post(f"{LIST}/builder/test")
async def test_on_file(
    request: Request,
    caller: Caller = Depends(manager),
    service: MapperService = Depends(mappers_of),
) -> Response:
    """Map the uploaded sample with the mapper as the form stands; nothing is saved."""
    form = await request.form()
    draft = draft_from_form(form)
    spec = spec_from_draft(draft)
    sample = form.get("sample")
    problems = _builder_problems(draft)
    if spec is not None and not (isinstance(sample, UploadFile) and sample.filename):
        problems.append("Choose a CSV file to test the mapper on.")
    if spec is None or problems:
        return render(request, "csv_mappers/_test_result.html", problems=problems, result=None)
    assert isinstance(sample, UploadFile)
    try:
        result = await run_in_threadpool(service.test, spec, upload_lines(sample))
    except InvalidInput as exc:
        return render(request, "csv_mappers/_test_result.html", problems=[str(exc)], result=None)
    return render(
        request,
        "csv_mappers/_test_result.html",
        problems=[],
        result=result,
        filename=sample.filename,
        rows=preview_rows(result.objects),
        row_errors=row_errors(spec, result),
    )


@router.post(LIST)
async def create(
    request: Request,
    caller: Caller = Depends(manager),
    service: MapperService = Depends(mappers_of),
) -> Response:
    return await _save(request, caller, service, ref=None)


@router.post(LIST + "/{ref}")
async def update(
    ref: str,
    request: Request,
    caller: Caller = Depends(manager),
    service: MapperService = Depends(mappers_of),
) -> Response:
    return await _save(request, caller, service, ref=service.get(ref).id)


async def _save(
    request: Request, caller: Caller, service: MapperService, *, ref: str | None
) -> Response:
    draft = draft_from_form(await request.form())
    spec = spec_from_draft(draft)
    if spec is not None:
        try:
            await run_in_threadpool(_store, service, spec, ref)
            return Response(status_code=204, headers={"HX-Redirect": LIST})
        except Conflict as exc:
            draft.errors["name"] = str(exc)
        except InvalidInput as exc:
            draft.errors["form"] = str(exc)
    return builder(
        request,
        caller,
        draft,
        action=f"{LIST}/{ref}" if ref else LIST,
        title="",
        status=422,
        template="csv_mappers/_form.html",
    )


def _store(service: MapperService, spec: CsvMapperSpec, ref: str | None) -> None:
    if ref is None:
        service.create(spec)
    else:
        service.update(ref, spec)


@router.post(LIST + "/{ref}/delete")
def delete(ref: str, service: MapperService = Depends(mappers_of)) -> Response:
    """Refused (409, shown in the page's flash area) while a CSV feed uses the mapper."""
    service.delete(ref)
    return HTMLResponse("")


# -- helpers shared with the CSV feeds tab ------------------------------------------------


def upload_lines(upload: UploadFile) -> Iterable[str]:
    """The uploaded file's lines, streamed (a binary file decodes with replacement marks)."""
    return io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace", newline="")


def _builder_problems(draft: MapperDraft) -> list[str]:
    problems = [f"{where}: {what}" for where, what in draft.errors.items()]
    for number, rep in enumerate(draft.representations, start=1):
        label = f"Representation {number} ({rep.target or 'no type'})"
        problems.extend(f"{label}: {problem}" for problem in rep.problems)
    return problems


def object_label(obj: dict[str, Any]) -> str:
    for key in ("value", "name", "pattern", "path", "number", "serial_number"):
        if obj.get(key) not in (None, ""):
            return str(obj[key])
    hashes = obj.get("hashes") or {}
    return str(next(iter(hashes.values()), obj.get("id", "")))


def preview_rows(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(type, what a person reads) per object; relationships name both ends when known."""
    labels = {o["id"]: object_label(o) for o in objects if "id" in o}
    rows = []
    for obj in objects:
        if obj.get("type") == "relationship":
            source = labels.get(obj.get("source_ref", ""), obj.get("source_ref", ""))
            target = labels.get(obj.get("target_ref", ""), obj.get("target_ref", ""))
            rows.append((f"relationship ({obj.get('relationship_type')})", f"{source} → {target}"))
        else:
            rows.append((str(obj.get("type")), object_label(obj)))
    return rows


def row_errors(spec: CsvMapperSpec, result: TestOut) -> list[str]:
    """Each row problem as "line 12, column dst_ip: <why>"."""
    described = []
    for problem in result.errors:
        column = problem_column(spec, problem.reason)
        where = f"line {problem.line}" + (f", column {column}" if column else "")
        described.append(f"{where}: {problem.reason}")
    return described
