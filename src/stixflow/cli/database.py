"""``stixflow db stats|prune-events|rebuild-search|repack|copy-to``: the database's upkeep,
and the move from the embedded database to PostgreSQL."""

from __future__ import annotations

import click

from stixflow.cli.context import fail, runtime_of, settings_of
from stixflow.config import Settings
from stixflow.crypto.keys import key_file_of
from stixflow.db import location, transfer
from stixflow.db.location import without_password
from stixflow.db.space import Bodies, Space, bodies, space
from stixflow.db.sqlite import sqlite_path
from stixflow.errors import StixflowError
from stixflow.store import repack, retention, search


@click.group("db")
def database() -> None:
    """What takes the space, event-log retention, the search index."""


@database.command("stats")
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Bytes per table and its indexes, biggest first (PostgreSQL rows are estimates)."""
    with runtime_of(ctx) as runtime:
        found = space(runtime.db)
        kept = retention.horizon(runtime.db)
        held = bodies(runtime.db)
    for line in [*lines(found), *body_lines(held)]:
        click.echo(line)
    if kept is not None:
        click.echo(f"event history kept after event {kept.seq} ({kept.created_at})")


def lines(found: Space) -> list[str]:
    out = [f"{'table':<28} {'rows':>10} {'data':>10} {'indexes':>10} {'total':>10} {'share':>6}"]
    whole = max(1, found.file_bytes)
    for table in found.tables:
        out.append(
            f"{table.name:<28} {table.rows:>10} {_size(table.table_bytes):>10} "
            f"{_size(table.index_bytes):>10} {_size(table.total):>10} "
            f"{100 * table.total / whole:>5.1f}%"
        )
    out.append(f"{'database':<28} {'':>10} {'':>10} {'':>10} {_size(found.file_bytes):>10}")
    return out


def body_lines(held: Bodies) -> list[str]:
    return [
        f"object bodies: {held.packed} packed, {held.text} JSON text (written before migration "
        f"0017), {_size(held.body_bytes)} in all",
        f"events: {held.events}, {held.events_in_row} of them with their version in the object's "
        "row",
    ]


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.2f} GiB"


@database.command("prune-events")
@click.option(
    "--days",
    type=click.FloatRange(min=0, min_open=True),
    help="History to keep (default: the events.retention_days setting).",
)
@click.pass_context
def prune_events(ctx: click.Context, days: float | None) -> None:
    """Compact the event log's history older than the retention (``stixflow serve`` does it
    every ``events.prune_interval_seconds``)."""
    with runtime_of(ctx) as runtime:
        keep = days if days is not None else runtime.settings.events.retention_days
        if keep <= 0:
            raise click.ClickException("events.retention_days is 0 (keep everything): give --days")
        removed = retention.prune(runtime.db, retention.cutoff(keep))
        kept = retention.horizon(runtime.db)
    click.echo(f"removed {removed} events older than {keep:g} days")
    if kept is not None:
        click.echo(f"event history kept after event {kept.seq} ({kept.created_at})")


@database.command("rebuild-search")
@click.pass_context
def rebuild_search(ctx: click.Context) -> None:
    """Rebuild the text-search index from the objects (after a manual SQLite VACUUM)."""
    with runtime_of(ctx) as runtime:
        search.rebuild(runtime.db)
    click.echo("search index rebuilt")


@database.command("repack")
@click.pass_context
def repack_old_rows(ctx: click.Context) -> None:
    """Pack the object bodies, event payloads and patches written before migration 0017 (they
    read as they are; packed they take about half the room, which later writes reuse)."""
    with runtime_of(ctx) as runtime:
        done = repack.repack(runtime.db)
    click.echo(f"packed {done.objects} object bodies and {done.events} events")


@database.command("copy-to")
@click.argument("target_url")
@click.pass_context
def copy_to(ctx: click.Context, target_url: str) -> None:
    """Copy the embedded database into TARGET_URL, a new PostgreSQL database (migrated here),
    to move to the scale-out back end. Stop the platform first: what it writes after the copy
    starts is not copied."""
    settings = settings_of(ctx)
    if settings.dialect != "sqlite":
        raise click.ClickException("the configured database is not the embedded one (SQLite)")
    source = sqlite_path(settings.database_url)
    bar = click.progressbar(length=1, label="copying rows", file=click.get_text_stream("stderr"))

    def progress(copied: int, total: int) -> None:
        bar.length = max(total, 1)
        bar.update(copied - bar.pos)

    try:
        location.require_file(settings)
        with bar:
            copied = transfer.copy_to_postgres(source, target_url, progress=progress)
    except StixflowError as exc:
        raise fail(exc) from exc
    for line in copy_lines(copied, without_password(target_url), settings):
        click.echo(line)


def copy_lines(copied: transfer.Copied, target: str, settings: Settings) -> list[str]:
    held = [f"{copied.rows[t]} {t}" for t in transfer.SUMMARY if copied.rows.get(t)]
    lines = [
        f"copied {copied.total} rows of {len(copied.rows)} tables into {target}"
        + (f" ({', '.join(held)})" if held else ""),
        f"to run on it: STIXFLOW_DATABASE_URL={target} (with its password), and "
        "STIXFLOW_BROKER_URL for RabbitMQ",
    ]
    if settings.secret_key is None:
        lines.append(
            "stored credentials are sealed with the development key in "
            f"{key_file_of(settings)}: set STIXFLOW_SECRET_KEY to its content there"
        )
    else:
        lines.append("stored credentials are sealed with STIXFLOW_SECRET_KEY: keep the same key")
    return lines
