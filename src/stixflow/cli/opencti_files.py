"""``csv-mappers import|export``, ``stixflow ingest csv|taxii|taxii-push import|export``.

OpenCTI's configuration files (docs/sharing.md, "Moving ingesters from OpenCTI"): ``import FILE``
creates the mapper or the ingester (stopped) and lists what the file held that was not imported;
``export NAME [-o FILE]`` writes the file OpenCTI imports (no secret in it) and lists on stderr the
settings its format cannot hold. Local database, or ``--url``/``--token`` of the group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import click

from stixflow.cli.clients import client_command
from stixflow.cli.context import local_actor
from stixflow.cli.remote import ApiClient, segment
from stixflow.opencti.service import ExportedOut, ImportedOut, OpenCtiFiles


class FilesClient(Protocol):
    def import_file(self, kind: str, document: dict[str, Any]) -> ImportedOut: ...
    def export(self, kind: str, ref: str) -> ExportedOut: ...


class RemoteFiles:
    """``FilesClient`` over the HTTP API."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    @staticmethod
    def _base(kind: str) -> str:
        return "/api/csv-mappers" if kind == "csv-mapper" else f"/api/ingestion/{kind}"

    def import_file(self, kind: str, document: dict[str, Any]) -> ImportedOut:
        answer = self.api.call("POST", f"{self._base(kind)}/import", body=document)
        return ImportedOut.model_validate(answer)

    def export(self, kind: str, ref: str) -> ExportedOut:
        path = f"{self._base(kind)}/{segment(ref)}/export"
        return ExportedOut.model_validate(self.api.call("GET", path, params={"report": "true"}))


files_command = client_command(
    remote=RemoteFiles,
    local=lambda runtime: OpenCtiFiles(runtime, actor=local_actor(runtime), administer=True),
)


def echo_unsupported(lines: list[str], notes: list[str]) -> None:
    for line in lines:
        click.echo(f"not carried over: {line}", err=True)
    for note in notes:
        click.echo(f"note: {note}", err=True)


def add_commands(group: click.Group, kind: str, what: str) -> None:
    """``import`` and ``export`` commands for OpenCTI files of ``kind`` on ``group``."""

    @group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @files_command
    def import_(client: FilesClient, path: Path) -> None:
        try:
            document = json.loads(path.read_bytes())
        except ValueError as exc:
            raise click.UsageError(f"{path} is not a JSON file: {exc}") from exc
        out = client.import_file(kind, document)
        click.echo(f"{out.id}\t{out.name}")
        echo_unsupported(out.unsupported, out.notes)

    import_.help = f"Create the {what} of the OpenCTI file PATH (an ingester is created stopped)."

    @group.command("export")
    @click.argument("ref")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
    @files_command
    def export(client: FilesClient, ref: str, output: Path | None) -> None:
        exported = client.export(kind, ref)
        text = json.dumps(exported.file, indent=2, ensure_ascii=False) + "\n"
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
        echo_unsupported(exported.unsupported, exported.notes)

    export.help = f"Write the {what} REF (id or name) as an OpenCTI file (no secret in it)."
