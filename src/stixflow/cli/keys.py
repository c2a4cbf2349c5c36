"""``stixflow secrets``: the key that seals stored credentials (docs/security.md, "Stored secrets").

``rotate`` re-seals every stored secret with ``secret_key``, opening them with
``previous_secret_keys``; ``new-key`` prints a fresh random key to configure.
"""

from __future__ import annotations

import click

from stixflow.cli.context import runtime_of
from stixflow.crypto.keys import new_key
from stixflow.crypto.rotate import rotate as rotate_secrets


@click.group("secrets")
def secrets_group() -> None:
    """Keys of the stored credentials (feeds, synchronisers, connectors)."""


@secrets_group.command()
@click.pass_context
def rotate(ctx: click.Context) -> None:
    """Re-encrypt every stored secret with STIXFLOW_SECRET_KEY.

    Set the new key as STIXFLOW_SECRET_KEY and the old one in STIXFLOW_PREVIOUS_SECRET_KEYS
    (a JSON list), run this, then remove the old key.
    """
    with runtime_of(ctx) as runtime:
        count = rotate_secrets(runtime.db, runtime.secrets)
    click.echo(f"re-encrypted {count} stored secrets with the current key")


@secrets_group.command("new-key")
def new_key_command() -> None:
    """Print a new random key (for STIXFLOW_SECRET_KEY)."""
    click.echo(new_key())
