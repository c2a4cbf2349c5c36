"""The OpenCTI-compatible GraphQL surface (``POST /graphql``) that pycti's connector helper
talks to: a small real schema (``schema.graphql``, Ariadne) whose resolvers are thin calls into
``ConnectorService`` and the work store. Errors come back as ``{"errors": [{"message", "name"}]}``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from ariadne import ScalarType, graphql_sync, make_executable_schema
from graphql import GraphQLError, GraphQLSchema

from stixflow.connectors.graphql import connectors, knowledge, works
from stixflow.connectors.graphql.context import Context
from stixflow.errors import StixflowError

any_scalar = ScalarType("Any")
IDENTITY_INPUT = "IdentityAddInput"
IDENTITY_INPUT_COPIES = ("OrganizationAddInput", "IndividualAddInput", "SystemAddInput")


def load_sdl() -> str:
    """The schema text, with OpenCTI's per-class identity inputs copied from one block."""
    sdl = (resources.files(__package__) / "schema.graphql").read_text(encoding="utf-8")
    start = sdl.index(f"input {IDENTITY_INPUT} {{")
    block = sdl[start : sdl.index("}", start) + 1]
    copies = [block.replace(IDENTITY_INPUT, name) for name in IDENTITY_INPUT_COPIES]
    return "\n\n".join([sdl, *copies])


def build_schema() -> GraphQLSchema:
    return make_executable_schema(
        load_sdl(),
        connectors.query,
        connectors.mutation,
        works.query,
        works.mutation,
        works.work_edit,
        knowledge.query,
        knowledge.mutation,
        any_scalar,
    )


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
