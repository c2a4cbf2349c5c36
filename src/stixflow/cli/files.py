"""``stixflow files upload|list|import``: files for import connectors (local, as the local
administrator)."""

from __future__ import annotations

from pathlib import Path

import click

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.api.routes.files import mime_of
from stixflow.cli.context import runtime_of
from stixflow.cli.works import follow
from stixflow.files.imports import file_store, request_import


@click.group()
def files() -> None:
    """Files imported by import connectors (INTERNAL_IMPORT_FILE)."""


@files.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--connector", "connector_id", help="import with this connector only")
@click.option("--mime-type", help="the file's type (default: from its name)")
@click.option("--no-import", is_flag=True, help="store the file without importing it")
@click.option("--wait", is_flag=True, help="follow the imports until they are finished")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=300, show_default=True)
@click.pass_context
def upload(
    ctx: click.Context,
    path: Path,
    connector_id: str | None,
    mime_type: str | None,
    no_import: bool,
    wait: bool,
    timeout: float,
) -> None:
    """Store a file and queue its import; prints the works to follow (``--wait``: follows
    them)."""
    with runtime_of(ctx) as runtime:
        stored = file_store(runtime).put(
            path.name,
            path.read_bytes(),
            mime_type=mime_of(path.name, mime_type),
            uploaded_by=None,
        )
        works = [] if no_import else request_import(runtime, LOCAL_ACTOR, stored, connector_id)
        click.echo(f"file {stored.id} ({stored.mime_type}, {stored.size} bytes)")
        for work in works:
            click.echo(f"import queued for {work.source}: work {work.id}")
        for work in works if wait else []:
            follow(runtime, work.id, timeout=timeout)


@files.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    with runtime_of(ctx) as runtime:
        found = file_store(runtime).list()
    for stored in found:
        click.echo(f"{stored.id}\t{stored.mime_type}\t{stored.size}\t{stored.created_at}")


@files.command("import")
@click.argument("file_id")
@click.option("--connector", "connector_id", help="import with this connector only")
@click.pass_context
def import_(ctx: click.Context, file_id: str, connector_id: str | None) -> None:
    """Import a stored file again."""
    with runtime_of(ctx) as runtime:
        store = file_store(runtime)
        works = request_import(runtime, LOCAL_ACTOR, store.get(file_id), connector_id)
    for work in works:
        click.echo(f"import queued for {work.source}: work {work.id}")
