"""``stixflow backup FILE`` and ``stixflow restore FILE`` (embedded database)."""

from __future__ import annotations

from pathlib import Path

import click

from stixflow.cli.context import fail, settings_of
from stixflow.db import backup as backups
from stixflow.errors import StixflowError


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, target: Path) -> None:
    """Copy the embedded database to TARGET, consistently, while the platform runs."""
    settings = settings_of(ctx)
    bar = click.progressbar(length=100, label="backing up", file=click.get_text_stream("stderr"))

    def progress(left: int, total: int) -> None:
        bar.update(round(100 * (total - left) / max(total, 1)) - bar.pos)

    try:
        with bar:
            backups.backup(settings, target, progress=progress)
    except StixflowError as exc:
        raise fail(exc) from exc
    click.echo(f"backed up to {target}")


@click.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing database.")
@click.pass_context
def restore(ctx: click.Context, source: Path, force: bool) -> None:
    """Copy the backup SOURCE over the embedded database (stop the platform first)."""
    try:
        backups.restore(settings_of(ctx), source, force=force)
    except StixflowError as exc:
        raise fail(exc) from exc
    click.echo(f"restored {source}; start the platform (`stixflow serve`) to resume its queue")
