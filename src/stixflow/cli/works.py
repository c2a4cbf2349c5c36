"""``stixflow works list|show``."""

from __future__ import annotations

import time

import click

from stixflow.cli.context import runtime_of
from stixflow.errors import NotFound
from stixflow.runtime import Runtime


def follow(runtime: Runtime, work_id: str, *, timeout: float) -> None:
    """Wait until the work is finished, then print its outcome; fail past ``timeout`` seconds
    (``--wait`` of the commands that start a work)."""
    deadline = time.monotonic() + timeout
    while True:
        work = runtime.works.get(work_id)
        if work is None:
            raise NotFound(f"no work {work_id}")
        if work.finished:
            click.echo(
                f"work {work.id} {work.status}: {work.processed} processed, {work.failed} failed"
            )
            if work.reason:
                click.echo(f"reason: {work.reason}")
            return
        if time.monotonic() > deadline:
            raise click.ClickException(f"work {work.id} still {work.status} after {timeout:g} s")
        time.sleep(1)


@click.group()
def works() -> None:
    """Follow imports: expected, processed and failed objects."""


@works.command("list")
@click.option("--source", help="Only works of this source.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.pass_context
def list_(ctx: click.Context, source: str | None, limit: int) -> None:
    with runtime_of(ctx) as runtime:
        found = runtime.works.list(source=source, limit=limit)
    for work in found:
        click.echo(
            f"{work.id}\t{work.status}\t{work.done}/{work.expected}\t"
            f"{work.failed} failed\t{work.source}\t{work.name}"
        )


@works.command("show")
@click.argument("work_id")
@click.pass_context
def show(ctx: click.Context, work_id: str) -> None:
    with runtime_of(ctx) as runtime:
        work = runtime.works.get(work_id)
    if work is None:
        raise NotFound(f"no work {work_id}")
    click.echo(f"work {work.id} ({work.name}) from {work.source}")
    click.echo(
        f"status {work.status}: {work.processed} processed, {work.failed} failed, "
        f"{work.expected} expected ({work.progress:.0%})"
    )
    click.echo(f"created {work.created_at}, completed {work.completed_at or '-'}")
    if work.submitting:
        click.echo(f"still being submitted: {work.queued} of {work.expected} objects queued")
    if work.reason:
        click.echo(f"reason: {work.reason}")
    for error in work.errors:
        click.echo(f"  {error.object_id or '-'}: {error.reason}")
