"""Object filters shared by ``objects list`` and ``export``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from stixflow.store.base import ObjectQuery


def object_filters(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--type", "types", multiple=True, help="STIX type (repeatable)."),
        click.option(
            "--text", help="Text in the name, value, aliases or description (exact names first)."
        ),
        click.option("--marking", help="Marking definition id."),
        click.option("--author", help="created_by_ref identity id."),
        click.option("--source", help="Source (connector or feed) that contributed it."),
        click.option("--modified-after", help="ISO timestamp."),
        click.option("--modified-before", help="ISO timestamp."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def query_of(
    filters: dict[str, Any], *, limit: int = 1000, cursor: str | None = None
) -> ObjectQuery:
    return ObjectQuery(
        types=tuple(filters["types"]),
        text=filters["text"],
        marking=filters["marking"],
        author=filters["author"],
        source=filters["source"],
        modified_after=filters["modified_after"],
        modified_before=filters["modified_before"],
        limit=limit,
        cursor=cursor,
    )
