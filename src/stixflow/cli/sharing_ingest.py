"""``stixflow ingest [--url U --token T] taxii-push|live-stream …``.

TAXII Push ingesters expose a collection others push to; live-stream synchronisers follow
another stixflow's stream. Acts on the local database as the local administrator, or with
``--url``/``--token`` on a remote instance through its API (the ingester's user then defaults to
the token's); the running ``stixflow serve`` picks changes up at its next manager run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
from pydantic import SecretStr

from stixflow.cli.sharing_ingestion import PushClient, SyncClient, push_command, sync_command
from stixflow.streams.sync.service import RemoteIn, SyncCreate, SyncOut
from stixflow.taxii.push import PushCreate, PushOut
from stixflow.taxii.push_records import Authorized


def echo_push(out: PushOut) -> None:
    h = out.health
    click.echo(
        f"{out.id}\t{out.name}\t{h.status}\t{out.collection_path}\tlast push "
        f"{h.last_push_at or 'never'}\ttotal {h.total_objects}\tqueue {h.queue_depth}"
    )


def echo_sync(out: SyncOut) -> None:
    h = out.health
    click.echo(
        f"{out.id}\t{out.name}\t{h.status}\t{out.uri}/stream/{out.stream_id}\t"
        f"last event {h.last_event_id or '-'}\treceived {h.events_received}\tqueue {h.queue_depth}"
    )
    if h.last_error:
        click.echo(f"  last error ({h.last_error_at}): {h.last_error}")


@click.group("taxii-push")
def taxii_push() -> None:
    """TAXII Push ingesters: collections partners push STIX into (TAXII 2.1 Add Objects)."""


@taxii_push.command("list")
@push_command
def push_list(push: PushClient) -> None:
    for out in push.list():
        echo_push(out)


@taxii_push.command("add")
@click.argument("name")
@click.option("--description", default="")
@click.option("--user", help="User responsible for data creation (id or email).")
@click.option("--allow-user", "users", multiple=True, help="User who may push (repeatable).")
@click.option("--allow-group", "groups", multiple=True, help="Group whose members may push.")
@click.option("--allow-org", "orgs", multiple=True, help="Organization whose members may push.")
@click.option("--confidence-to-score", is_flag=True, help="Copy indicator confidence to score.")
@click.option("--start", is_flag=True, help="Start it right away.")
@push_command
def push_add(
    push: PushClient,
    name: str,
    description: str,
    user: str | None,
    users: tuple[str, ...],
    groups: tuple[str, ...],
    orgs: tuple[str, ...],
    confidence_to_score: bool,
    start: bool,
) -> None:
    authorized = Authorized(users=list(users), groups=list(groups), organizations=list(orgs))
    echo_push(
        push.create(
            PushCreate(
                name=name,
                description=description,
                user=user,
                authorized=authorized,
                confidence_to_score=confidence_to_score,
                running=start,
            )
        )
    )


def _lifecycle(
    group: click.Group,
    with_client: Callable[[Callable[..., None]], Callable[..., None]],
    echo: Callable[[Any], None],
) -> None:
    for name, running in (("start", True), ("stop", False)):

        @group.command(name)
        @click.argument("ref")
        @with_client
        def change(service: Any, ref: str, running: bool = running) -> None:
            echo(service.set_running(ref, running))

    @group.command("show")
    @click.argument("ref")
    @with_client
    def show(service: Any, ref: str) -> None:
        echo(service.get(ref))

    @group.command("delete")
    @click.argument("ref")
    @with_client
    def delete(service: Any, ref: str) -> None:
        service.delete(ref)
        click.echo(f"deleted {ref}")


_lifecycle(taxii_push, push_command, echo_push)


@click.group("live-stream")
def live_stream() -> None:
    """Live-stream synchronisers: follow another stixflow's live stream."""


@live_stream.command("list")
@sync_command
def sync_list(syncs: SyncClient) -> None:
    for out in syncs.list():
        echo_sync(out)


@live_stream.command("remote-streams")
@click.option("--uri", required=True, help="Remote stixflow base URL (no path).")
@click.option("--token", required=True, help="Remote user's token (TAXIIAPI).")
@click.option("--no-verify", is_flag=True, help="Do not verify the remote's TLS certificate.")
@sync_command
def sync_remote(syncs: SyncClient, uri: str, token: str, no_verify: bool) -> None:
    """Validate a remote URL and token; list the streams to pick one."""
    remote = RemoteIn(uri=uri, token=SecretStr(token), ssl_verify=not no_verify)
    for stream in syncs.remote_streams(remote):
        click.echo(f"{stream.id}\t{stream.name}\t{stream.description}")


@live_stream.command("add")
@click.argument("name")
@click.option("--uri", required=True, help="Remote stixflow base URL (no path).")
@click.option("--token", required=True, help="Remote user's token (TAXIIAPI).")
@click.option("--stream", "stream_id", required=True, help="Remote live stream id.")
@click.option("--user", help="User responsible for data creation (id or email).")
@click.option("--from", "starting_date", type=click.DateTime(), help="Starting date (empty: all).")
@click.option("--ignore-deletions", is_flag=True, help="Do not delete what the remote deletes.")
@click.option("--no-dependencies", is_flag=True, help="Avoid dependencies resolution.")
@click.option("--no-verify", is_flag=True, help="Do not verify the remote's TLS certificate.")
@click.option("--perfect", is_flag=True, help="Perfect synchronization (remote overwrites).")
@click.option("--start", is_flag=True, help="Start it right away.")
@sync_command
def sync_add(
    syncs: SyncClient,
    name: str,
    uri: str,
    token: str,
    stream_id: str,
    user: str | None,
    starting_date: datetime | None,
    ignore_deletions: bool,
    no_dependencies: bool,
    no_verify: bool,
    perfect: bool,
    start: bool,
) -> None:
    echo_sync(
        syncs.create(
            SyncCreate(
                name=name,
                uri=uri,
                token=SecretStr(token),
                stream_id=stream_id,
                user=user,
                starting_date=starting_date,
                listen_deletion=not ignore_deletions,
                no_dependencies=no_dependencies,
                ssl_verify=not no_verify,
                synchronized=perfect,
                running=start,
            )
        )
    )


_lifecycle(live_stream, sync_command, echo_sync)


@live_stream.command("reset")
@click.argument("ref")
@sync_command
def sync_reset(syncs: SyncClient, ref: str) -> None:
    """Start again from the starting date; its queued messages are purged."""
    done = syncs.reset(ref)
    echo_sync(done.sync)
    click.echo(f"purged {done.purged} queued messages")
