"""``stixflow export``: write a STIX 2.1 bundle of what matches the filters."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import IO, Any

import click

from stixflow.cli.context import runtime_of
from stixflow.cli.filters import object_filters, query_of
from stixflow.runtime import Runtime
from stixflow.store import export as store_export
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
    return store_export.iter_objects(runtime.store, query_of(filters), Access.everything())


def write_bundle(handle: IO[bytes], objects: Iterator[dict[str, Any]]) -> int:
    """Stream a bundle without holding every object in memory; return the object count."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for obj in objects:
            count += 1
            yield obj

    for chunk in store_export.bundle_chunks(counted()):
        handle.write(chunk)
    return count
