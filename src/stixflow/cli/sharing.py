"""``stixflow taxii collections …`` and ``stixflow streams …``: what this platform shares.

TAXII collections and live streams are saved filters (``--type``, ``--marking``, ``--author``,
``--source``, repeatable), public or not. Acts on the local database, or with ``--url``/``--token``
(on ``taxii`` and ``streams``) on a remote instance through its API; the running server sees
changes at once.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from stixflow.cli.definitions import DefinitionClient, definition_command
from stixflow.cli.remote import remote_options
from stixflow.db.base import Database
from stixflow.taxii.collections import (
    DefinitionCreate,
    DefinitionOut,
    Definitions,
    DefinitionUpdate,
    collections,
    live_streams,
)
from stixflow.taxii.filters import ObjectFilter


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


def definition_group(
    name: str, table: Callable[[Database], Definitions], path: str, what: str
) -> click.Group:
    group = click.Group(name, help=f"{what}: saved filters others read.")
    with_definitions = definition_command(table, path)

    @group.command("list")
    @with_definitions
    def list_(definitions: DefinitionClient) -> None:
        for definition in definitions.list():
            echo(definition)

    @group.command("add")
    @click.argument("name")
    @click.option("--description", default="")
    @click.option("--public", is_flag=True, help="Readable without a token (TLP:CLEAR at most).")
    @filter_options
    @with_definitions
    def add(
        definitions: DefinitionClient,
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
        echo(definitions.create(spec))

    @group.command("start")
    @click.argument("ref")
    @with_definitions
    def start(definitions: DefinitionClient, ref: str) -> None:
        echo(definitions.update(ref, DefinitionUpdate(running=True)))

    @group.command("stop")
    @click.argument("ref")
    @with_definitions
    def stop(definitions: DefinitionClient, ref: str) -> None:
        echo(definitions.update(ref, DefinitionUpdate(running=False)))

    @group.command("delete")
    @click.argument("ref")
    @with_definitions
    def delete(definitions: DefinitionClient, ref: str) -> None:
        definitions.delete(ref)
        click.echo(f"deleted {ref}")

    return group


@click.group()
@remote_options
def taxii() -> None:
    """The TAXII 2.1 server: /taxii2/ (collections are saved filters)."""


taxii.add_command(
    definition_group("collections", collections, "/api/taxii/collections", "TAXII collections")
)
streams = remote_options(
    definition_group("streams", live_streams, "/api/streams", "Live streams served at /stream/<id>")
)
