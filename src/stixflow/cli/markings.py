"""``stixflow markings list|add``: TLP is built in; statement markings are added."""

from __future__ import annotations

import click

from stixflow.access.schemas import MarkingCreate, MarkingOut
from stixflow.cli.access import AccessClient, access_command


@click.group()
def markings() -> None:
    """Marking definitions."""


def echo_marking(marking: MarkingOut) -> None:
    origin = "built-in" if marking.built_in else "added"
    click.echo(f"{marking.id}\t{marking.name}\t{marking.definition_type}\t{origin}")


@markings.command("list")
@access_command
def list_(client: AccessClient) -> None:
    for marking in client.list_markings():
        echo_marking(marking)


@markings.command("add")
@click.argument("statement")
@access_command
def add(client: AccessClient, statement: str) -> None:
    """Add a statement marking (the same statement is always the same marking)."""
    echo_marking(client.create_marking(MarkingCreate(statement=statement)))
