"""``stixflow objects list|get``."""

from __future__ import annotations

from typing import Any

import click
import orjson

from stixflow.cli.context import runtime_of
from stixflow.cli.filters import object_filters, query_of
from stixflow.errors import NotFound
from stixflow.store.base import Access


@click.group()
def objects() -> None:
    """Browse the knowledge base."""


@objects.command("list")
@object_filters
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--cursor", help="Continue after this cursor (printed at the end of a page).")
@click.pass_context
def list_(ctx: click.Context, limit: int, cursor: str | None, **filters: Any) -> None:
    """One line per object: id, name, modified."""
    with runtime_of(ctx) as runtime:
        page = runtime.store.query(
            query_of(filters, limit=limit, cursor=cursor), access=Access.everything()
        )
    for obj in page.objects:
        label = obj.get("name") or obj.get("value") or obj.get("relationship_type") or ""
        click.echo(f"{obj['id']}\t{label}\t{obj.get('modified', '')}")
    if page.next_cursor:
        click.echo(f"next cursor: {page.next_cursor}", err=True)


@objects.command("get")
@click.argument("object_id")
@click.pass_context
def get(ctx: click.Context, object_id: str) -> None:
    """Print one object (an original id that was replaced still resolves) and its provenance."""
    with runtime_of(ctx) as runtime:
        stored = runtime.store.get(object_id, access=Access.everything())
    if stored is None:
        raise NotFound(f"no object {object_id}")
    click.echo(orjson.dumps(stored.data, option=orjson.OPT_INDENT_2).decode())
    click.echo(
        f"first seen {stored.first_seen}, last seen {stored.last_seen}; "
        f"sources: {', '.join(stored.sources) or '-'}; "
        f"creators: {', '.join(stored.creators) or '-'}; "
        f"aliases: {', '.join(stored.aliases) or '-'}",
        err=True,
    )
