"""``POST /graphql``: the OpenCTI-compatible surface for pycti connectors (bearer token auth,
GraphQL over JSON; see ``stixflow.connectors.graphql``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from graphql import GraphQLSchema
from starlette.concurrency import run_in_threadpool

from stixflow.api.deps import Caller, get_caller, get_runtime
from stixflow.connectors.graphql import Context, build_schema, execute
from stixflow.connectors.graphql.uploads import Upload, assemble
from stixflow.errors import InvalidInput
from stixflow.runtime import Runtime

router = APIRouter(tags=["connectors"])


@cache
def schema() -> GraphQLSchema:
    return build_schema()


async def read_request(request: Request) -> Any:
    """The JSON request, or a multipart one with its files in place (``uploads.py``)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form() as form:
            files = {
                key: Upload(value.filename or key, await value.read(), value.content_type or "")
                for key, value in form.items()
                if not isinstance(value, str)
            }
            return assemble(str(form.get("operations", "")), str(form.get("map", "{}")), files)
    try:
        return await request.json()
    except ValueError as exc:
        raise InvalidInput(f"the GraphQL request is not JSON: {exc}") from exc


@router.post("/graphql")
async def graphql(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    """The operations pycti's connector helper sends (see docs/connectors.md)."""
    body = await read_request(request)
    context = Context(
        runtime=runtime,
        actor=caller.actor,
        user_id=caller.user_id,
        can=caller.can,
        access=caller.access,
        default_markings=caller.default_markings,
    )
    success, result = await run_in_threadpool(execute, schema(), body, context)
    return JSONResponse(result, status_code=200 if success else 400)
