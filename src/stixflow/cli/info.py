"""``stixflow info``: where this platform keeps its data and what it talks to."""

from __future__ import annotations

import os
from pathlib import Path

import click

from stixflow import __version__
from stixflow.cli.context import settings_of
from stixflow.config import Settings
from stixflow.db import location
from stixflow.db.sqlite import sqlite_path


@click.command()
@click.pass_context
def info(ctx: click.Context) -> None:
    """Show the version, the settings file, the data directory, the database and the broker."""
    settings = settings_of(ctx)
    for label, value in rows(settings):
        click.echo(f"{label + ':':<15} {value}")


def rows(settings: Settings) -> list[tuple[str, str]]:
    config = Path(os.environ.get("STIXFLOW_CONFIG", "stixflow.toml"))
    return [
        ("version", __version__),
        ("settings file", str(config.resolve()) if config.is_file() else "none"),
        ("environment", settings.environment),
        ("data directory", str(settings.data_dir)),
        ("database", f"{location.describe(settings)}{_state(settings)}"),
        ("broker", _broker(settings)),
        ("secret key", "STIXFLOW_SECRET_KEY" if settings.secret_key else "development key file"),
    ]


def _state(settings: Settings) -> str:
    if settings.dialect != "sqlite":
        return ""
    exists = Path(sqlite_path(settings.database_url)).is_file()
    return "" if exists else "  (not created yet: `stixflow migrate` or `stixflow serve`)"


def _broker(settings: Settings) -> str:
    if settings.is_embedded_broker:
        return "embedded (queue tables in the database)"
    head, _, tail = settings.broker_url.rpartition("@")
    user = head.partition("://")[2].split(":", 1)[0]
    return f"{settings.broker_url.split('://', 1)[0]}://{user}@{tail}" if head else tail
