"""``stixflow dead-letters list|retry``."""

from __future__ import annotations

import click

from stixflow.cli.context import runtime_of


@click.group("dead-letters")
def dead_letters() -> None:
    """Messages that kept failing, with their reason."""


@dead_letters.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.pass_context
def list_(ctx: click.Context, limit: int) -> None:
    with runtime_of(ctx) as runtime:
        found = runtime.dead_letters.list(limit=limit)
    if not found:
        click.echo("no dead letters")
    for letter in found:
        click.echo(
            f"{letter.id}\t{letter.queue}\t{letter.objects} objects\t"
            f"{letter.attempts} attempts\t{letter.reason}"
        )


@dead_letters.command("retry")
@click.argument("letter_ids", type=int, nargs=-1, required=True)
@click.pass_context
def retry(ctx: click.Context, letter_ids: tuple[int, ...]) -> None:
    """Put dead letters back on their queue."""
    with runtime_of(ctx) as runtime:
        for letter_id in letter_ids:
            letter = runtime.dead_letters.retry(letter_id, runtime.queue)
            click.echo(f"requeued {letter.id} on {letter.queue}")
