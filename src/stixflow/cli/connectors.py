"""``stixflow connectors list|show|reset|delete|works|enrich`` and ``stixflow enrich`` (the
same command)."""

from __future__ import annotations

import click
import orjson

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.cli.context import runtime_of
from stixflow.cli.works import follow
from stixflow.connectors.enrichment import enrichers_for, request_enrichment
from stixflow.connectors.schemas import ConnectorOut
from stixflow.connectors.service import ConnectorService
from stixflow.errors import NotFound
from stixflow.runtime import Runtime
from stixflow.store.base import Access


@click.group()
def connectors() -> None:
    """Programs that feed stixflow: registry, state, reset, works."""


def _line(out: ConnectorOut) -> str:
    kind = "built-in" if out.built_in else out.type.value
    return (
        f"{out.id}\t{out.status}\t{kind}\tqueue {out.queue_depth}\t"
        f"last run {out.last_run or '-'}\t{out.name}"
    )


@connectors.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every connector, built-in ones (native ingesters) included."""
    with runtime_of(ctx) as runtime:
        service = ConnectorService(runtime, actor=LOCAL_ACTOR)
        lines = [_line(service.out(c)) for c in service.list()]
    for line in lines:
        click.echo(line)


@connectors.command("show")
@click.argument("connector_id")
@click.pass_context
def show(ctx: click.Context, connector_id: str) -> None:
    with runtime_of(ctx) as runtime:
        service = ConnectorService(runtime, actor=LOCAL_ACTOR)
        out = service.out(service.get(connector_id))
        resets = [] if out.built_in else service.records.resets(connector_id, limit=5)
    click.echo(f"connector {out.id} ({out.name}), {out.type.value}, {out.status}")
    click.echo(f"scope: {', '.join(out.scope) or '-'}  user: {out.user_id or '-'}")
    click.echo(
        f"last seen {out.last_seen_at or '-'}, last run {out.last_run or '-'}, "
        f"next run {out.next_run or '-'}"
    )
    click.echo(f"queued messages: {out.queue_depth}")
    click.echo(f"state: {orjson.dumps(out.state).decode()}")
    for at, actor, purged in resets:
        click.echo(f"reset {at} by {actor or 'local'}: {purged} messages purged")


@connectors.command("works")
@click.argument("connector_id")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.pass_context
def works(ctx: click.Context, connector_id: str, limit: int) -> None:
    """The connector's works, newest first, with progress."""
    with runtime_of(ctx) as runtime:
        found = ConnectorService(runtime, actor=LOCAL_ACTOR).works(connector_id, limit=limit)
    for work in found:
        click.echo(
            f"{work.id}\t{work.status}\t{work.done}/{work.expected}\t"
            f"{work.failed} failed\t{work.name}"
        )


@connectors.command("reset")
@click.argument("connector_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def reset(ctx: click.Context, connector_id: str, yes: bool) -> None:
    """Clear the state and purge the queues; the connector starts again from its start date."""
    with runtime_of(ctx) as runtime:
        service = ConnectorService(runtime, actor=LOCAL_ACTOR)
        waiting = service.reset_preview(connector_id)
        if not yes:
            click.confirm(
                f"Reset the state of {connector_id} and purge its queue? "
                f"Number of messages: {waiting}",
                abort=True,
            )
        purged = service.reset(connector_id)
    click.echo(f"state of {connector_id} reset; {purged} queued messages purged")


@connectors.command("delete")
@click.argument("connector_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete(ctx: click.Context, connector_id: str, yes: bool) -> None:
    """Unregister the connector and delete its queues (its works and data stay)."""
    if not yes:
        click.confirm(f"Delete connector {connector_id} and its queues?", abort=True)
    with runtime_of(ctx) as runtime:
        ConnectorService(runtime, actor=LOCAL_ACTOR).delete(connector_id)
    click.echo(f"connector {connector_id} deleted")


@click.command()
@click.argument("object_id")
@click.option("--connector", "connector_id", help="Enrichment connector id (default: list them).")
@click.option("--wait", is_flag=True, help="Follow the work until it is finished.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=300, show_default=True)
@click.pass_context
def enrich(
    ctx: click.Context, object_id: str, connector_id: str | None, wait: bool, timeout: float
) -> None:
    """Ask an enrichment connector to enrich one object; prints the work to follow. Without
    ``--connector``, lists the enrichment connectors whose scope takes the object's type."""
    with runtime_of(ctx) as runtime:
        if connector_id is None:
            _list_enrichers(runtime, object_id)
            return
        work = request_enrichment(runtime, LOCAL_ACTOR, object_id, connector_id)
        click.echo(f"enrichment of {object_id} queued for {connector_id}: work {work.id}")
        if wait:
            follow(runtime, work.id, timeout=timeout)


connectors.add_command(enrich)


def _list_enrichers(runtime: Runtime, object_id: str) -> None:
    stored = runtime.store.get(object_id, access=Access.everything())
    if stored is None:
        raise NotFound(f"no object {object_id}")
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    found = enrichers_for(runtime, stored.data)
    if not found:
        click.echo(f"no enrichment connector takes {stored.data['type']}")
    for connector in found:
        click.echo(_line(service.out(connector)))
