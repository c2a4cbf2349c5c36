"""``stixflow taxii collections …`` and ``stixflow streams …``: what this platform shares.

TAXII collections and live streams are saved filters (``--type``, ``--marking``, ``--author``,
``--source``, repeatable), public or not. Acts on the local database; the running server sees
changes at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from stixflow.cli.context import runtime_of
from stixflow.errors import StixflowError
from stixflow.taxii.collections import (
    DefinitionCreate,
    DefinitionOut,
    Definitions,
    DefinitionUpdate,
    collections,
    live_streams,
)
from stixflow.taxii.filters import ObjectFilter


def with_definitions(
    table: Callable[[Any], Definitions],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(command)
        def run(ctx: click.Context, **params: Any) -> None:
            try:
                with runtime_of(ctx) as runtime:
                    command(table(runtime.db), **params)
            except StixflowError as exc:
                raise click.ClickException(str(exc)) from exc

        return click.pass_context(run)

    return decorate


def echo(out: DefinitionOut) -> None:
    filters = out.filters.model_dump(exclude_defaults=True) or "everything"
    flags = ", ".join(
        flag for flag, on in (("public", out.public), ("stopped", not out.running)) if on
    )
    click.echo(f"{out.id}\t{out.name}\t{filters}\t{flags}".rstrip())


def filter_options(command: Callable[..., None]) -> Callable[..., None]:
    for name, help_text in (
        ("author", "created_by_ref id"),
        ("source", "source name"),
        ("marking", "marking id or TLP name"),
        ("type", "STIX type"),
    ):
        command = click.option(f"--{name}", f"{name}s", multiple=True, help=help_text)(command)
    return command


def definition_group(name: str, table: Callable[[Any], Definitions], what: str) -> click.Group:
    group = click.Group(name, help=f"{what}: saved filters others read.")

    @group.command("list")
    @with_definitions(table)
    def list_(definitions: Definitions) -> None:
        for definition in definitions.list():
            echo(definition.out())

    @group.command("add")
    @click.argument("name")
    @click.option("--description", default="")
    @click.option("--public", is_flag=True, help="Readable without a token (TLP:CLEAR at most).")
    @filter_options
    @with_definitions(table)
    def add(
        definitions: Definitions,
        name: str,
        description: str,
        public: bool,
        types: tuple[str, ...],
        markings: tuple[str, ...],
        authors: tuple[str, ...],
        sources: tuple[str, ...],
    ) -> None:
        filters = ObjectFilter(
            types=list(types), markings=list(markings), authors=list(authors), sources=list(sources)
        )
        spec = DefinitionCreate(name=name, description=description, filters=filters, public=public)
        echo(definitions.create(spec, created_by=None).out())

    @group.command("start")
    @click.argument("ref")
    @with_definitions(table)
    def start(definitions: Definitions, ref: str) -> None:
        echo(definitions.update(ref, DefinitionUpdate(running=True)).out())

    @group.command("stop")
    @click.argument("ref")
    @with_definitions(table)
    def stop(definitions: Definitions, ref: str) -> None:
        echo(definitions.update(ref, DefinitionUpdate(running=False)).out())

    @group.command("delete")
    @click.argument("ref")
    @with_definitions(table)
    def delete(definitions: Definitions, ref: str) -> None:
        definitions.delete(ref)
        click.echo(f"deleted {ref}")

    return group


@click.group()
def taxii() -> None:
    """The TAXII 2.1 server: /taxii2/ (collections are saved filters)."""


taxii.add_command(definition_group("collections", collections, "TAXII collections"))
streams = definition_group("streams", live_streams, "Live streams served at /stream/<id>")
