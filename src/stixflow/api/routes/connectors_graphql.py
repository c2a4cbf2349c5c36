"""``POST /graphql``: the OpenCTI-compatible surface for pycti connectors (bearer token auth,
GraphQL over JSON; see ``stixflow.connectors.graphql``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse
from graphql import GraphQLSchema
from starlette.concurrency import run_in_threadpool

from stixflow.api.deps import Caller, get_caller, get_runtime
from stixflow.connectors.graphql import Context, build_schema, execute
from stixflow.runtime import Runtime

router = APIRouter(tags=["connectors"])


@cache
def schema() -> GraphQLSchema:
    return build_schema()


@router.post("/graphql")
async def graphql(
    body: dict[str, Any] = Body(...),
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    """The operations pycti's connector helper sends (see docs/connectors.md)."""
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
