"""The OpenCTI-compatible GraphQL surface (``POST /graphql``) that pycti's connector helper
talks to: a real schema (Ariadne) whose resolvers are thin calls into our services and stores.
Errors come back as ``{"errors": [{"message", "name"}]}``.

One OpenCTI area per module: ``<area>.py`` holds its resolvers and lists them in ``BINDABLES``,
and its part of the schema in ``SDL`` or in ``<area>.graphql`` (``base.graphql`` and
``entities.SHARED_SDL`` what the areas share). Entity areas share one resolver pattern
(``entities.py``: reads cut by the caller's markings, creates and edits through ``writes.py``).
An area is served once it is in ``AREAS``; a root field no area serves is a validation error
naming it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from ariadne import ScalarType, graphql_sync, make_executable_schema
from graphql import GraphQLError, GraphQLSchema

from stixflow.connectors.graphql import (
    connectors,
    domain_objects,
    entities,
    external_references,
    files,
    knowledge,
    labels,
    meta_objects,
    observables,
    relationships,
    streams,
    vocabularies,
    works,
)
from stixflow.connectors.graphql.context import Context
from stixflow.connectors.graphql.opaque import validator
from stixflow.errors import StixflowError

any_scalar = ScalarType("Any")
IDENTITY_INPUT = "IdentityAddInput"
IDENTITY_INPUT_COPIES = ("OrganizationAddInput", "IndividualAddInput", "SystemAddInput")


AREAS = (
    connectors,
    works,
    knowledge,
    labels,
    external_references,
    observables,
    domain_objects,
    relationships,
    files,
    vocabularies,
    meta_objects,
    streams,
)


def load_sdl() -> str:
    """The schema text of every area, with OpenCTI's per-class identity inputs copied from one
    block."""
    folder = resources.files(__package__)
    parts = [(folder / "base.graphql").read_text(encoding="utf-8"), entities.SHARED_SDL]
    for area in AREAS:
        text = getattr(area, "SDL", None)
        name = area.__name__.rsplit(".", 1)[1]
        parts.append(text or (folder / f"{name}.graphql").read_text(encoding="utf-8"))
    sdl = "\n\n".join(parts)
    start = sdl.index(f"input {IDENTITY_INPUT} {{")
    block = sdl[start : sdl.index("}", start) + 1]
    copies = [block.replace(IDENTITY_INPUT, name) for name in IDENTITY_INPUT_COPIES]
    return "\n\n".join([sdl, *copies])


def build_schema() -> GraphQLSchema:
    bindables = [bindable for area in AREAS for bindable in area.BINDABLES]
    return make_executable_schema(load_sdl(), *bindables, entities.edit_type, any_scalar)


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
        schema,
        data,
        context_value=context,
        error_formatter=format_error,
        debug=False,
        query_validator=validator,
    )
    return success, result


__all__ = ["Context", "build_schema", "execute"]
