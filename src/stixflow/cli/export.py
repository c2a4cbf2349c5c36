"""``stixflow export``: write a STIX 2.1 bundle of what matches the filters."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from typing import IO, Any

import click
import orjson

from stixflow.cli.context import runtime_of
from stixflow.cli.filters import object_filters, query_of
from stixflow.runtime import Runtime
from stixflow.store.base import Access


@click.command()
@object_filters
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default=True,
    help="File to write ('-' for stdout).",
)
@click.pass_context
def export(ctx: click.Context, output: str, **filters: Any) -> None:
    """Export matching objects as one STIX 2.1 bundle."""
    with runtime_of(ctx) as runtime:
        if output == "-":
            count = write_bundle(sys.stdout.buffer, iter_objects(runtime, filters))
        else:
            with open(output, "wb") as handle:
                count = write_bundle(handle, iter_objects(runtime, filters))
    click.echo(f"exported {count} objects", err=True)


def iter_objects(runtime: Runtime, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        page = runtime.store.query(query_of(filters, cursor=cursor), access=Access.everything())
        yield from page.objects
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def write_bundle(handle: IO[bytes], objects: Iterator[dict[str, Any]]) -> int:
    """Stream a bundle without holding every object in memory."""
    handle.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":[')
    count = 0
    for obj in objects:
        handle.write((b"," if count else b"") + orjson.dumps(obj))
        count += 1
    handle.write(b"]}\n")
    return count
