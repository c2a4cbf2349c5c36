"""``stixflow csv-mappers [--url U --token T] add|list|show|test|delete`` and ``ingest csv …``.

Acts on the local database as the local administrator, or with ``--url``/``--token`` on a remote
instance through its API. A mapper is a JSON file (docs/csv-mappers.md); ``test`` maps a sample
file or the file at a URL and prints the counts, the rows that could not be mapped and the first
objects, queuing nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr

from stixflow.cli import ingest
from stixflow.cli.ingestion import IngestionClient, ingestion_command
from stixflow.cli.mappers import MapperClient, mapper_command
from stixflow.cli.remote import remote_options
from stixflow.csvmap.model import CsvMapperSpec
from stixflow.csvmap.schemas import MapperOut, TestOut
from stixflow.ingest.schemas import CsvCreate


@click.group("csv-mappers")
@remote_options
def csv_mappers() -> None:
    """CSV mappers: how a CSV file's columns become STIX objects."""


def echo_mapper(out: MapperOut) -> None:
    targets = ", ".join(r.target for r in out.spec.representations)
    click.echo(f"{out.id}\t{out.name}\t{targets}")


@csv_mappers.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@mapper_command
def add(client: MapperClient, path: str) -> None:
    """Save the mapper in PATH (JSON); refused with the reason when it cannot run."""
    spec = CsvMapperSpec.model_validate_json(Path(path).read_bytes())
    echo_mapper(client.create(spec))


@csv_mappers.command("list")
@mapper_command
def list_(client: MapperClient) -> None:
    for out in client.list():
        echo_mapper(out)


@csv_mappers.command("show")
@click.argument("mapper")
@mapper_command
def show(client: MapperClient, mapper: str) -> None:
    """The mapper (id or name) as JSON, ready to edit and add again."""
    click.echo(client.get(mapper).spec.model_dump_json(indent=2, exclude_defaults=True))


@csv_mappers.command("delete")
@click.argument("mapper")
@mapper_command
def delete(client: MapperClient, mapper: str) -> None:
    client.delete(mapper)
    click.echo(f"deleted {mapper}")


@csv_mappers.command("test")
@click.argument("mapper")
@click.option("--file", "sample", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="Test against the file at this URL.")
@click.option("--marking", "markings", multiple=True, help="A 'user-choice' marking.")
@mapper_command
def test(
    client: MapperClient, mapper: str, sample: Path | None, url: str | None, markings: tuple
) -> None:
    """Map a sample (--file or --url) and show what would be created; queue nothing."""
    if (sample is None) == (url is None):
        raise click.UsageError("give --file or --url")
    if sample is not None:
        echo_test(client.test_file(mapper, sample, markings=list(markings)))
    else:
        echo_test(client.test_url(mapper, url or "", markings=list(markings)))


def echo_test(result: TestOut) -> None:
    for obj in result.objects:
        click.echo(json.dumps(obj, ensure_ascii=False))
    for error in result.errors:
        click.echo(f"line {error.line}: {error.reason}", err=True)
    kinds = ", ".join(f"{n} {t}" for t, n in sorted(result.by_type.items()))
    click.echo(
        f"{result.rows} rows: {result.entities} entities, {result.relationships} relationships "
        f"({kinds}); {result.error_count} rows not mapped",
        err=True,
    )


# -- stixflow ingest csv ----------------------------------------------------------------------

csv_group = ingest.kind_group("csv", "CSV")


def csv_spec(params: dict[str, Any]) -> CsvCreate:
    for secret in ("password", "token", "header_value"):
        if params.get(secret):
            params[secret] = SecretStr(params[secret])
    params["markings"] = list(params.pop("markings"))
    return CsvCreate.model_validate(ingest.common_fields(params))


def csv_options(command: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.argument("name"),
        click.argument("url"),
        click.option("--mapper", required=True, help="CSV mapper id or name."),
        click.option(
            "--auth",
            "auth_type",
            type=click.Choice(["none", "basic", "bearer", "header"]),
            default="none",
            show_default=True,
        ),
        click.option("--username"),
        click.option(
            "--password", envvar="STIXFLOW_FEED_PASSWORD", help="(env STIXFLOW_FEED_PASSWORD)"
        ),
        click.option(
            "--token", envvar="STIXFLOW_FEED_TOKEN", help="Bearer token (env STIXFLOW_FEED_TOKEN)."
        ),
        click.option("--header-name", help="Custom header, e.g. X-Api-Key."),
        click.option(
            "--header-value", envvar="STIXFLOW_FEED_HEADER", help="(env STIXFLOW_FEED_HEADER)"
        ),
        click.option("--marking", "markings", multiple=True, help="A 'user-choice' marking."),
    ]
    for option in reversed(options):
        command = option(command)
    return ingest.common_options(command)


ingest._add_and_test(csv_group, "csv", csv_options, csv_spec)


@csv_group.command("duplicate")
@click.argument("ingester")
@ingestion_command
def duplicate(client: IngestionClient, ingester: str) -> None:
    """Copy a CSV feed with its settings as '<name>-copy', stopped."""
    ingest.echo_ingester(client.duplicate("csv", ingester))
