"""``stixflow db stats|prune-events|rebuild-search|repack``: the database's upkeep."""

from __future__ import annotations

import click

from stixflow.cli.context import runtime_of
from stixflow.db.space import Bodies, Space, bodies, space
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
