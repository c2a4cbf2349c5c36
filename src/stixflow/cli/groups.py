"""``stixflow groups list|add|show|update|delete|add-member|remove-member``."""

from __future__ import annotations

import click

from stixflow.access.capabilities import Capability
from stixflow.access.schemas import GroupCreate, GroupOut, GroupUpdate
from stixflow.cli.access import AccessClient, access_command

CAPABILITY = click.Choice([c.value for c in Capability], case_sensitive=False)


@click.group()
def groups() -> None:
    """Groups carry capabilities, allowed markings and default markings."""


def echo_group(group: GroupOut, *, full: bool = False) -> None:
    click.echo(f"{group.id}\t{group.name}\t{', '.join(group.capabilities) or '-'}")
    if full:
        click.echo(f"  description: {group.description or '-'}")
        click.echo(f"  allowed markings: {', '.join(group.allowed_markings) or '-'}")
        click.echo(f"  default markings: {', '.join(group.default_markings) or '-'}")
        click.echo(f"  members: {', '.join(group.members) or '-'}")


def group_options(command: click.decorators.FC) -> click.decorators.FC:
    options = [
        click.option("--description", help="What the group is for."),
        click.option("--capability", "capabilities", multiple=True, type=CAPABILITY),
        click.option(
            "--allow",
            "allowed",
            multiple=True,
            help="Allowed marking: TLP name or id (repeatable).",
        ),
        click.option(
            "--default-marking", "defaults", multiple=True, help="Marking set on members' data."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@groups.command("list")
@access_command
def list_(client: AccessClient) -> None:
    for group in client.list_groups():
        echo_group(group)


@groups.command("show")
@click.argument("group")
@access_command
def show(client: AccessClient, group: str) -> None:
    echo_group(client.get_group(group), full=True)


@groups.command("add")
@click.argument("name")
@group_options
@access_command
def add(
    client: AccessClient,
    name: str,
    description: str | None,
    capabilities: tuple[str, ...],
    allowed: tuple[str, ...],
    defaults: tuple[str, ...],
) -> None:
    spec = GroupCreate(
        name=name,
        description=description or "",
        capabilities=[Capability(c.upper()) for c in capabilities],
        allowed_markings=list(allowed),
        default_markings=list(defaults),
    )
    echo_group(client.create_group(spec), full=True)


@groups.command("update")
@click.argument("group")
@click.option("--name", help="New name.")
@group_options
@access_command
def update(
    client: AccessClient,
    group: str,
    name: str | None,
    description: str | None,
    capabilities: tuple[str, ...],
    allowed: tuple[str, ...],
    defaults: tuple[str, ...],
) -> None:
    """Change what is given; a repeatable option given replaces the whole list."""
    spec = GroupUpdate(
        name=name,
        description=description,
        capabilities=[Capability(c.upper()) for c in capabilities] if capabilities else None,
        allowed_markings=list(allowed) if allowed else None,
        default_markings=list(defaults) if defaults else None,
    )
    echo_group(client.update_group(group, spec), full=True)


@groups.command("delete")
@click.argument("group")
@access_command
def delete(client: AccessClient, group: str) -> None:
    client.delete_group(group)
    click.echo(f"deleted {group}")


@groups.command("add-member")
@click.argument("group")
@click.argument("user")
@access_command
def add_member(client: AccessClient, group: str, user: str) -> None:
    echo_group(client.add_member(group, user), full=True)


@groups.command("remove-member")
@click.argument("group")
@click.argument("user")
@access_command
def remove_member(client: AccessClient, group: str, user: str) -> None:
    echo_group(client.remove_member(group, user), full=True)
