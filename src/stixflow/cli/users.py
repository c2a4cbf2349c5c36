"""``stixflow users list|add|show|delete|add-source`` and ``users token create|list|revoke``."""

from __future__ import annotations

import click

from stixflow.access.schemas import SourceCreate, TokenCreate, TokenOut, UserCreate, UserOut
from stixflow.cli.access import AccessClient, access_command


@click.group()
def users() -> None:
    """People and sources: one user each, rights from their groups."""


def echo_user(user: UserOut) -> None:
    click.echo(
        f"{user.id}\t{user.email}\t{user.name}\t"
        f"groups: {', '.join(user.groups) or '-'}\torganization: {user.organization_id or '-'}"
    )


@users.command("list")
@access_command
def list_(client: AccessClient) -> None:
    for user in client.list_users():
        echo_user(user)


@users.command("show")
@click.argument("user")
@access_command
def show(client: AccessClient, user: str) -> None:
    """Show a user (by id or email) and their tokens."""
    echo_user(client.get_user(user))
    for token in client.list_tokens(user):
        echo_token(token)


@users.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--password", help="Password for /api/login (omit for token-only users).")
@click.option("--org", "organization", help="Organization id or name.")
@click.option("--group", "groups", multiple=True, help="Group id or name (repeatable).")
@access_command
def add(
    client: AccessClient,
    email: str,
    name: str,
    password: str | None,
    organization: str | None,
    groups: tuple[str, ...],
) -> None:
    spec = UserCreate(
        email=email, name=name, password=password, organization=organization, groups=list(groups)
    )
    echo_user(client.create_user(spec))


@users.command("delete")
@click.argument("user")
@access_command
def delete(client: AccessClient, user: str) -> None:
    """Delete a user, their tokens and memberships."""
    client.delete_user(user)
    click.echo(f"deleted {user}")


@users.command("add-source")
@click.argument("name")
@access_command
def add_source(client: AccessClient, name: str) -> None:
    """Create user '[F] NAME' in Connectors, its token and the organization NAME (the author)."""
    account = client.add_source(SourceCreate(name=name))
    echo_user(account.user)
    click.echo(f"organization {account.organization.name}: {account.organization.id}")
    click.echo(f"token (shown once, keep it): {account.token.token}")


@users.group("token")
def token() -> None:
    """API tokens: shown once at creation, stored hashed, revocable."""


def echo_token(info: TokenOut) -> None:
    state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
    click.echo(
        f"{info.id}\t{info.name}\t{state}\tcreated {info.created_at}\t"
        f"last used {info.last_used_at or 'never'}"
    )


@token.command("create")
@click.argument("user")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@access_command
def token_create(client: AccessClient, user: str, name: str) -> None:
    created = client.create_token(user, TokenCreate(name=name))
    echo_token(created)
    click.echo(f"token (shown once, keep it): {created.token}")


@token.command("list")
@click.argument("user")
@access_command
def token_list(client: AccessClient, user: str) -> None:
    for info in client.list_tokens(user):
        echo_token(info)


@token.command("revoke")
@click.argument("token_id")
@access_command
def token_revoke(client: AccessClient, token_id: str) -> None:
    echo_token(client.revoke_token(token_id))
