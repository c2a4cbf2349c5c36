"""``stixflow ingest [--url U --token T] taxii|rss add|list|show|start|stop|test|reset|run|delete``.

Acts on the local database as the local administrator (the ingester's user defaults to none:
give ``--user`` or ``--create-source-user``), or with ``--url``/``--token`` on a remote instance
through its API (the user then defaults to the token's). The running ``stixflow serve`` picks
changes up at its next manager run; ``run`` ingests once right now, in this process (local only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
from pydantic import BaseModel, SecretStr

from stixflow.cli.ingestion import IngestionClient, ingestion_command
from stixflow.cli.remote import remote_options
from stixflow.ingest.schemas import IngesterOut, RssCreate, TaxiiCreate


@click.group()
@remote_options
def ingest() -> None:
    """Native feeds (TAXII 2.1 collections, RSS/Atom) pulled by the ingestion manager."""


def echo_ingester(out: IngesterOut) -> None:
    health = out.health
    click.echo(
        f"{out.id}\t{out.kind}\t{out.name}\t{health.status}\tevery {out.scheduling_period}\t"
        f"last run {health.last_run_at or 'never'}\tqueued {health.last_run_objects} "
        f"(total {health.total_objects})\tqueue {health.queue_depth}"
    )
    if health.last_error:
        click.echo(f"  last error ({health.last_error_at}): {health.last_error}")
    for note in out.notes:
        click.echo(f"  note: {note}")


def common_options(command: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.option("--description", default="", help="What the feed is."),
        click.option("--user", help="User responsible for data creation (id or email)."),
        click.option(
            "--import-from",
            type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
            help="Oldest data to fetch (UTC); default: everything.",
        ),
        click.option("--every", "scheduling_period", help="ISO-8601 period (PT1H) or 'auto'."),
        click.option("--start", "running", is_flag=True, help="Start it right away."),
        click.option("--timeout", "timeout_seconds", type=float, default=30.0, show_default=True),
        click.option(
            "--insecure", is_flag=True, help="Do not verify the server's TLS certificate."
        ),
        click.option("--proxy", help="HTTP(S) proxy URL (default: the environment's)."),
        click.option(
            "--create-source-user",
            is_flag=True,
            help="Also create user '[F] SOURCE' and organization SOURCE (best practice).",
        ),
        click.option("--source-name", help="SOURCE above (default: NAME)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def common_fields(params: dict[str, Any]) -> dict[str, Any]:
    moment: datetime | None = params.pop("import_from")
    insecure: bool = params.pop("insecure")
    return {**params, "import_from": moment, "verify_tls": not insecure}


def kind_group(kind: str, title: str) -> click.Group:
    group = click.Group(kind, help=f"{title} feeds.")

    @group.command("list")
    @ingestion_command
    def list_(client: IngestionClient) -> None:
        for out in client.list(kind):
            echo_ingester(out)

    @group.command("show")
    @click.argument("ingester")
    @ingestion_command
    def show(client: IngestionClient, ingester: str) -> None:
        """Everything about one ingester (id or name), as JSON."""
        click.echo(client.get(kind, ingester).model_dump_json(indent=2))

    for name, running in (("start", True), ("stop", False)):
        group.command(name, help=f"{name.capitalize()} an ingester (id or name).")(
            click.argument("ingester")(ingestion_command(_toggle(kind, running)))
        )

    @group.command("reset")
    @click.argument("ingester")
    @ingestion_command
    def reset(client: IngestionClient, ingester: str) -> None:
        """Cursor back to its import-from date; its queued messages are purged."""
        done = client.reset(kind, ingester)
        echo_ingester(done.ingester)
        click.echo(f"purged {done.purged} queued messages")

    @group.command("run")
    @click.argument("ingester")
    @ingestion_command
    def run(client: IngestionClient, ingester: str) -> None:
        """Ingest once, now, in this process."""
        outcome = client.run_now(kind, ingester)
        click.echo(f"queued {outcome.queued} objects in {len(outcome.works)} works")
        if outcome.error:
            raise click.ClickException(outcome.error)

    @group.command("delete")
    @click.argument("ingester")
    @ingestion_command
    def delete(client: IngestionClient, ingester: str) -> None:
        client.delete(kind, ingester)
        click.echo(f"deleted {ingester}")

    return group


def _toggle(kind: str, running: bool) -> Callable[..., None]:
    def toggle(client: IngestionClient, ingester: str) -> None:
        echo_ingester(client.set_running(kind, ingester, running))

    return toggle


def echo_preview(objects: list[dict[str, Any]], fetched: int, truncated: bool) -> None:
    for obj in objects:
        click.echo(json.dumps(obj, ensure_ascii=False))
    more = " (more not shown)" if truncated else ""
    click.echo(f"{len(objects)} objects would be created{more}", err=True)


taxii = kind_group("taxii", "TAXII 2.1 collection")
rss = kind_group("rss", "RSS and Atom")
ingest.add_command(taxii)
ingest.add_command(rss)


def taxii_spec(params: dict[str, Any]) -> TaxiiCreate:
    for secret in ("password", "token"):
        if params.get(secret):
            params[secret] = SecretStr(params[secret])
    for pem in ("cert_pem", "key_pem", "ca_pem"):
        path = params.pop(pem.replace("_pem", "_file"))
        params[pem] = _read(path) if path else None
    if params.get("key_pem"):
        params["key_pem"] = SecretStr(params["key_pem"])
    return TaxiiCreate.model_validate(common_fields(params))


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def taxii_options(command: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.argument("name"),
        click.argument("url"),
        click.option("--collection", help="Collection id (or paste the collection's URL)."),
        click.option(
            "--auth",
            "auth_type",
            type=click.Choice(["none", "basic", "bearer", "certificate"]),
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
        click.option("--cert-file", type=click.Path(exists=True, dir_okay=False)),
        click.option("--key-file", type=click.Path(exists=True, dir_okay=False)),
        click.option("--ca-file", type=click.Path(exists=True, dir_okay=False)),
        click.option("--page-size", type=int, default=1000, show_default=True),
    ]
    for option in reversed(options):
        command = option(command)
    return common_options(command)


def rss_spec(params: dict[str, Any]) -> RssCreate:
    params["report_types"] = list(params.pop("report_types")) or ["threat-report"]
    params["markings"] = list(params.pop("markings"))
    return RssCreate.model_validate(common_fields(params))


def rss_options(command: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.argument("name"),
        click.argument("url"),
        click.option("--report-type", "report_types", multiple=True, help="Repeatable."),
        click.option("--author", help="Default author: organization id or name."),
        click.option("--marking", "markings", multiple=True, help="TLP name or marking id."),
    ]
    for option in reversed(options):
        command = option(command)
    return common_options(command)


def _add_and_test(
    group: click.Group, kind: str, options: Callable[..., Any], spec_of: Callable[..., BaseModel]
) -> None:
    @group.command("add")
    @options
    @ingestion_command
    def add(client: IngestionClient, **params: Any) -> None:
        """Create an ingester (stopped unless --start)."""
        echo_ingester(client.create(kind, spec_of(params)))  # type: ignore[arg-type]

    @group.command("test")
    @options
    @ingestion_command
    def test(client: IngestionClient, **params: Any) -> None:
        """Dry run: fetch and map, print what would be created (at most 50 objects)."""
        found = client.test(kind, spec_of(params))  # type: ignore[arg-type]
        echo_preview(found.objects, found.fetched, found.truncated)


_add_and_test(taxii, "taxii", taxii_options, taxii_spec)
_add_and_test(rss, "rss", rss_options, rss_spec)
