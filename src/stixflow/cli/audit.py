"""``stixflow audit list``: logins, new token addresses, changes to users, groups..."""

from __future__ import annotations

import click

from stixflow.cli.access import AccessClient, access_command


@click.group()
def audit() -> None:
    """The audit log (administrators)."""


@audit.command("list")
@click.option("--action", help="An action or its prefix: login, user, group, token...")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@access_command
def list_(client: AccessClient, action: str | None, limit: int) -> None:
    """Newest first."""
    for entry in client.list_audit(action=action, limit=limit):
        click.echo(
            f"{entry.at}\t{entry.action}\t{entry.target or '-'}\t"
            f"by {entry.actor_id or 'local cli'}\tfrom {entry.address or '-'}"
        )
