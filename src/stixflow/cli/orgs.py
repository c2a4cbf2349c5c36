"""``stixflow orgs list|add|delete``: organizations, usable as users' organization and authors."""

from __future__ import annotations

import click

from stixflow.access.schemas import OrganizationCreate
from stixflow.cli.access import AccessClient, access_command


@click.group()
def orgs() -> None:
    """Organizations (STIX identities of class organization)."""


@orgs.command("list")
@access_command
def list_(client: AccessClient) -> None:
    for org in client.list_organizations():
        click.echo(f"{org.id}\t{org.name}")


@orgs.command("add")
@click.argument("name")
@access_command
def add(client: AccessClient, name: str) -> None:
    org = client.create_organization(OrganizationCreate(name=name))
    click.echo(f"{org.id}\t{org.name}")


@orgs.command("delete")
@click.argument("org")
@access_command
def delete(client: AccessClient, org: str) -> None:
    """Forget an organization (its identity object stays in the knowledge base)."""
    client.delete_organization(org)
    click.echo(f"deleted {org}")
