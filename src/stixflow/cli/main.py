"""Entry point: ``stixflow --help``."""

from __future__ import annotations

import sys

import click

from stixflow import __version__, logs
from stixflow.cli import (
    audit,
    backup,
    connectors,
    csv_mappers,
    database,
    deadletters,
    export,
    files,
    groups,
    importing,
    info,
    ingest,
    keys,
    markings,
    objects,
    opencti_files,
    orgs,
    serve,
    sharing,
    sharing_ingest,
    users,
    works,
)
from stixflow.cli.context import settings_of
from stixflow.errors import StixflowError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stixflow")
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """stixflow: a deduplicated STIX 2.1 knowledge base fed from every kind of source."""
    ctx.ensure_object(dict)
    try:
        log_format = settings_of(ctx).log_format
    except StixflowError:  # the command reports bad settings itself, when it needs them
        log_format = "text"
    logs.configure(log_format=log_format, verbose=verbose)


for command in (
    serve.serve,
    serve.worker,
    serve.migrate,
    importing.import_,
    export.export,
    objects.objects,
    works.works,
    deadletters.dead_letters,
    users.users,
    groups.groups,
    orgs.orgs,
    markings.markings,
    audit.audit,
    ingest.ingest,
    connectors.connectors,
    connectors.enrich,
    files.files,
    csv_mappers.csv_mappers,
    sharing.taxii,
    sharing.streams,
    keys.secrets_group,
    info.info,
    backup.backup,
    backup.restore,
    database.database,
):
    cli.add_command(command)
ingest.ingest.add_command(sharing_ingest.taxii_push)
ingest.ingest.add_command(sharing_ingest.live_stream)
ingest.ingest.add_command(csv_mappers.csv_group)
opencti_files.add_commands(csv_mappers.csv_mappers, "csv-mapper", "CSV mapper")
opencti_files.add_commands(csv_mappers.csv_group, "csv", "CSV feed")
opencti_files.add_commands(ingest.taxii, "taxii", "TAXII feed")
opencti_files.add_commands(sharing_ingest.taxii_push, "taxii-push", "TAXII Push ingester")


def main() -> None:
    try:
        cli(standalone_mode=True)
    except StixflowError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
