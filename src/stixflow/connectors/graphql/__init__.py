"""The OpenCTI-compatible GraphQL surface (``POST /graphql``) that pycti's connector helper
talks to: a real schema (Ariadne) whose resolvers are thin calls into our services and stores.
Errors come back as ``{"errors": [{"message", "name"}]}``.

One OpenCTI area per module: ``<area>.py`` holds its resolvers and lists them in ``BINDABLES``,
``<area>.graphql`` its part of the schema (``base.graphql`` what the areas share). An area is
served once it is in ``AREAS``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from ariadne import ScalarType, graphql_sync, make_executable_schema
from graphql import GraphQLError, GraphQLSchema

from stixflow.connectors.graphql import connectors, knowledge, streams, works
from stixflow.connectors.graphql.context import Context
from stixflow.errors import StixflowError

any_scalar = ScalarType("Any")
IDENTITY_INPUT = "IdentityAddInput"
IDENTITY_INPUT_COPIES = ("OrganizationAddInput", "IndividualAddInput", "SystemAddInput")


AREAS = (connectors, works, knowledge, streams)


def load_sdl() -> str:
    """The schema text of every area, with OpenCTI's per-class identity inputs copied from one
    block."""
    folder = resources.files(__package__)
    names = ["base", *(area.__name__.rsplit(".", 1)[1] for area in AREAS)]
    sdl = "\n\n".join((folder / f"{name}.graphql").read_text(encoding="utf-8") for name in names)
    start = sdl.index(f"input {IDENTITY_INPUT} {{")
    block = sdl[start : sdl.index("}", start) + 1]
    copies = [block.replace(IDENTITY_INPUT, name) for name in IDENTITY_INPUT_COPIES]
    return "\n\n".join([sdl, *copies])


def build_schema() -> GraphQLSchema:
    bindables = [bindable for area in AREAS for bindable in area.BINDABLES]
    return make_executable_schema(load_sdl(), *bindables, any_scalar)


def format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    """``name`` as OpenCTI puts it (pycti reports it), the stixflow error class otherwise."""
    original = error.original_error
    name = type(original).__name__ if isinstance(original, StixflowError) else "GraphQLError"
    formatted: dict[str, Any] = dict(error.formatted)
    formatted["name"] = name
    formatted.setdefault("extensions", {})["code"] = name
    return formatted


def execute(schema: GraphQLSchema, data: Any, context: Context) -> tuple[bool, dict[str, Any]]:
    success, result = graphql_sync(
        schema, data, context_value=context, error_formatter=format_error, debug=False
    )
    return success, result


__all__ = ["Context", "build_schema", "execute"]
