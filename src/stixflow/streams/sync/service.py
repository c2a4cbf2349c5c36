"""SyncService: live-stream synchronisers for the API and the CLI (OpenCTI spec §7.2).

Creating one first validates the remote (URL and token answer, the stream exists and says
``connected``); ``remote_streams`` lists the remote's streams to pick one. Both are checks a user
triggers: under the outbound policy, and a failure answers no sooner than the failure floor
(``stixflow.net.checks``). Changing the remote, the stream or the starting date resets the
checkpoint; the manager restarts the consumer of a synchroniser whose settings changed. The
stored token is bound to its remote: an update that changes ``uri`` must give the token again. A
caller acts on the synchronisers they created; ``administer`` (``INGESTION_ADMIN``) on all
(``access/ownership.py``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, StringConstraints, field_validator

from stixflow.access import audit, users
from stixflow.access.audit import Actor
from stixflow.access.ownership import Ownership, check_data_creator, data_creator
from stixflow.access.schemas import Name, Ref
from stixflow.clock import stix_timestamp
from stixflow.errors import InvalidInput, NotFound
from stixflow.ingest.common import endpoint
from stixflow.net.checks import Outbound
from stixflow.queue.message import queue_name
from stixflow.runtime import Runtime
from stixflow.streams.sync.records import Sync, SyncRecords, new_sync_id
from stixflow.streams.sync.remote import RemotePlatform

Uri = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[A-Za-z0-9.\-\[\]:]+(/[\x21-\x7e]*)?$", max_length=2000),
]
TOKEN = re.compile(r"^[\x21-\x7e]{1,500}$")


def _check_token(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not TOKEN.match(value.get_secret_value()):
        raise ValueError("a token is 1 to 500 printable ASCII characters")
    return value


class RemoteIn(BaseModel):
    uri: Uri
    token: SecretStr
    ssl_verify: bool = True

    _token = field_validator("token")(_check_token)


class RemoteStreamOut(BaseModel):
    id: str
    name: str
    description: str = ""


class SyncCreate(RemoteIn):
    name: Name
    description: str = Field("", max_length=5000)
    stream_id: Ref
    user: Ref | None = Field(None, description="user responsible for data creation; default: you")
    starting_date: datetime | None = Field(None, description="empty: everything")
    listen_deletion: bool = Field(True, description="take deletions into account")
    no_dependencies: bool = Field(False, description="avoid dependencies resolution")
    synchronized: bool = Field(False, description="perfect synchronization")
    running: bool = False


class SyncUpdate(BaseModel):
    name: Name | None = None
    description: str | None = Field(None, max_length=5000)
    uri: Uri | None = None
    token: SecretStr | None = None
    ssl_verify: bool | None = None
    stream_id: Ref | None = None
    user: Ref | None = None
    starting_date: datetime | None = None
    listen_deletion: bool | None = None
    no_dependencies: bool | None = None
    synchronized: bool | None = None

    _token = field_validator("token")(_check_token)


class SyncHealth(BaseModel):
    status: str
    last_event_id: str | None
    last_event_at: str | None
    events_received: int
    last_error: str | None
    last_error_at: str | None
    last_work_id: str | None
    queue: str
    queue_depth: int


class SyncOut(BaseModel):
    id: str
    name: str
    description: str
    uri: str
    stream_id: str
    source: str
    user_id: str | None
    running: bool
    starting_date: str | None
    listen_deletion: bool
    no_dependencies: bool
    ssl_verify: bool
    synchronized: bool
    health: SyncHealth
    created_at: str
    updated_at: str


class SyncResetOut(BaseModel):
    sync: SyncOut
    purged: int = Field(description="queued messages purged")


RESTART_FIELDS = ("uri", "stream_id", "starting_date")


class SyncService:
    def __init__(self, runtime: Runtime, *, actor: Actor, administer: bool = False) -> None:
        self.runtime = runtime
        self.actor = actor
        self.ownership = Ownership.of(actor, administer=administer)
        self.records = SyncRecords(runtime.db, runtime.secrets)

    def remote_streams(self, remote: RemoteIn) -> list[RemoteStreamOut]:
        outbound = self._outbound()
        platform = RemotePlatform(
            remote.uri, remote.token.get_secret_value(), outbound=outbound, verify=remote.ssl_verify
        )
        with outbound.floor():
            found = platform.streams()
        return [
            RemoteStreamOut(id=s.id, name=s.name, description=s.description)
            for s in found
            if s.running
        ]

    def list(self) -> list[SyncOut]:
        return [self.out(sync) for sync in self.records.list(owner=self.ownership.owner_filter)]

    def get(self, ref: str) -> SyncOut:
        with self.runtime.db.read() as tx:
            sync = self.owned(tx, ref)
        return self.out(sync)

    def owned(self, tx: Any, ref: str) -> Sync:
        """The synchroniser ``ref`` if the caller may act on it; NotFound otherwise."""
        sync = self.records.get_in(tx, ref)
        if not self.ownership.may_act_on(sync.created_by):
            raise NotFound(f"no live-stream synchroniser {ref}")
        return sync

    def create(self, spec: SyncCreate) -> SyncOut:
        with self.runtime.db.read() as tx:
            user_id = data_creator(tx, self.actor, spec.user) if spec.user else self.actor.user_id
        self._validate(spec.uri, spec.token.get_secret_value(), spec.stream_id, spec.ssl_verify)
        sync_id = new_sync_id()
        with self.runtime.db.transaction() as tx:
            sync = Sync(
                id=sync_id,
                name=spec.name,
                description=spec.description,
                source=f"sync-{sync_id}",
                uri=spec.uri.rstrip("/"),
                token=spec.token.get_secret_value(),
                stream_id=spec.stream_id,
                user_id=user_id,
                running=spec.running,
                starting_date=_date(spec.starting_date),
                listen_deletion=spec.listen_deletion,
                no_dependencies=spec.no_dependencies,
                ssl_verify=spec.ssl_verify,
                synchronized=spec.synchronized,
                created_by=self.actor.user_id,
            )
            self.records.insert(tx, sync)
            self._audit(tx, "sync.created", sync)
        self.runtime.registry.ensure(self.runtime.queue, sync.source)
        return self.out(sync)

    def update(self, ref: str, patch: SyncUpdate) -> SyncOut:
        with self.runtime.db.read() as tx:
            current = self.owned(tx, ref)
            changed = replace(current)
            if patch.user is not None:
                changed.user_id = users.find_user(tx, patch.user).id
                if changed.user_id != current.user_id:
                    check_data_creator(tx, self.actor, changed.user_id)
        changes = patch.model_dump(exclude_unset=True)
        moved = patch.uri is not None and _remote(patch.uri) != _remote(current.uri)
        if moved and patch.token is None:
            raise InvalidInput(
                "the stored token is not sent to another remote: give the token of "
                f"{patch.uri} in the same request"
            )
        for key in (
            "name",
            "description",
            "uri",
            "stream_id",
            "ssl_verify",
            "listen_deletion",
            "no_dependencies",
            "synchronized",
        ):
            if changes.get(key) is not None:
                setattr(changed, key, changes[key])
        if patch.token is not None:
            changed.token = patch.token.get_secret_value()
        if "starting_date" in changes:
            changed.starting_date = _date(patch.starting_date)
        if any(getattr(changed, f) != getattr(current, f) for f in RESTART_FIELDS):
            changed.last_event_id = None
        if (changed.uri, changed.token, changed.stream_id) != (
            current.uri,
            current.token,
            current.stream_id,
        ):
            self._validate(changed.uri, changed.token, changed.stream_id, changed.ssl_verify)
        with self.runtime.db.transaction() as tx:
            self.records.save(tx, changed)
            self._audit(tx, "sync.updated", changed)
        return self.get(changed.id)

    def set_running(self, ref: str, running: bool) -> SyncOut:
        with self.runtime.db.transaction() as tx:
            sync = self.owned(tx, ref)
            sync.running = running
            self.records.save(tx, sync)
            self._audit(tx, "sync.started" if running else "sync.stopped", sync)
        return self.get(sync.id)

    def reset(self, ref: str) -> SyncResetOut:
        """Start again from the starting date: checkpoint cleared, queued messages purged (the
        running consumer is restarted by the manager, which sees the settings version change)."""
        with self.runtime.db.transaction() as tx:
            sync = self.owned(tx, ref)
            sync.last_event_id = None
            self.records.save(tx, sync)
            self._audit(tx, "sync.reset", sync)
        purged = self.runtime.queue.purge(queue_name(sync.source))
        return SyncResetOut(sync=self.get(sync.id), purged=purged)

    def delete(self, ref: str) -> None:
        with self.runtime.db.transaction() as tx:
            sync = self.owned(tx, ref)
            self.records.delete(tx, sync.id)
            self._audit(tx, "sync.deleted", sync)
        self.runtime.registry.forget(self.runtime.queue, sync.source)

    def out(self, sync: Sync) -> SyncOut:
        queue = queue_name(sync.source)
        return SyncOut(
            id=sync.id,
            name=sync.name,
            description=sync.description,
            uri=sync.uri,
            stream_id=sync.stream_id,
            source=sync.source,
            user_id=sync.user_id,
            running=sync.running,
            starting_date=sync.starting_date,
            listen_deletion=sync.listen_deletion,
            no_dependencies=sync.no_dependencies,
            ssl_verify=sync.ssl_verify,
            synchronized=sync.synchronized,
            health=SyncHealth(
                status=status_of(sync),
                last_event_id=sync.last_event_id,
                last_event_at=sync.last_event_at,
                events_received=sync.events_received,
                last_error=sync.last_error,
                last_error_at=sync.last_error_at,
                last_work_id=sync.last_work_id,
                queue=queue,
                queue_depth=self.runtime.queue.depth(queue),
            ),
            created_at=sync.created_at,
            updated_at=sync.updated_at,
        )

    def _validate(self, uri: str, token: str, stream_id: str, verify: bool) -> None:
        outbound = self._outbound()
        platform = RemotePlatform(uri, token, outbound=outbound, verify=verify)
        with outbound.floor():
            known = {stream.id for stream in platform.streams()}
            if stream_id not in known:
                raise InvalidInput(f"{uri} has no live stream {stream_id} this token may read")
            platform.test(stream_id)

    def _outbound(self) -> Outbound:
        return Outbound.user_check(self.runtime.settings)

    def _audit(self, tx: Any, action: str, sync: Sync) -> None:
        audit.record_by(
            tx,
            self.actor,
            action,
            target=sync.id,
            detail=f"live-stream {sync.name} <- {sync.uri}",
        )


def status_of(sync: Sync) -> str:
    if not sync.running:
        return "stopped"
    if sync.connected:
        return "connected"
    return "error" if sync.last_error else "connecting"


def _remote(uri: str) -> tuple[str, ...]:
    """Scheme, host, port and path of a remote: where its token goes."""
    return endpoint(uri.rstrip("/"))


def _date(value: datetime | None) -> str | None:
    return stix_timestamp(value) if value is not None else None
