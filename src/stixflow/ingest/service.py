"""IngestionService: every ingester operation, audited, for the API and the CLI.

Built per caller (``actor``; ``administer`` when they hold ``INGESTION_ADMIN``): a caller sees and
acts on the ingesters they own, an administrator on all (``access/ownership.py``). Create and
update validate the kind's settings (``FeedKind.prepare``: a pasted TAXII collection URL is
corrected and the correction reported in ``notes``); reset puts the cursor back to
``import_from`` and purges the ingester's queue; ``test`` is a dry run.

Stored credentials are bound to their destination: an update (or the dry run of one) that moves a
feed to another URL, collection or proxy does not carry the stored credentials along; the same
request must give them again (or set ``auth_type`` to ``none``).
Everything that fetches on a user's request (prepare's verification, tests, run now) fails no
sooner than the outbound failure floor (``stixflow.net.checks``).
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError

from stixflow.access import audit, users
from stixflow.access.audit import Actor
from stixflow.access.ownership import Ownership, check_source_user, data_creator
from stixflow.access.schemas import SourceCreate
from stixflow.access.service import AccessService
from stixflow.clock import now
from stixflow.errors import Conflict, InvalidInput, NotFound
from stixflow.ingest.base import FeedKind, Prepared, preview, run_ingester
from stixflow.ingest.common import CREDENTIAL_FIELDS, HTTP_FIELDS, stix_time
from stixflow.ingest.records import Ingester, IngesterRecords, new_ingester_id, source_of
from stixflow.ingest.registry import CREATE_MODELS, feed_kind
from stixflow.ingest.schemas import (
    HealthOut,
    IngesterCreate,
    IngesterOut,
    IngesterUpdate,
    PreviewOut,
    ResetOut,
    RunOut,
)
from stixflow.net.checks import Outbound
from stixflow.queue.message import queue_name
from stixflow.runtime import Runtime

COMMON_FIELDS = ("name", "description", "user", "import_from", "scheduling_period")


class IngestionService:
    def __init__(self, runtime: Runtime, *, actor: Actor, administer: bool = False) -> None:
        self.runtime = runtime
        self.actor = actor
        self.ownership = Ownership.of(actor, administer=administer)
        self.records = IngesterRecords(runtime.db, runtime.secrets)

    # -- reading -------------------------------------------------------------------------

    def list(self, kind: str) -> list[IngesterOut]:
        feed_kind(kind)
        found = self.records.list(kind=kind, owner=self.ownership.owner_filter)
        return [self.out(ingester) for ingester in found]

    def get(self, kind: str, ref: str) -> IngesterOut:
        return self.out(self.owned(kind, ref))

    def owned(self, kind: str, ref: str) -> Ingester:
        """The ingester ``ref`` if the caller may act on it; NotFound otherwise, as if absent."""
        ingester = self.records.get(ref, kind=kind)
        if not self.ownership.may_act_on(ingester.created_by):
            raise NotFound(f"no {kind} ingester {ref}")
        return ingester

    def out(self, ingester: Ingester, *, notes: tuple[str, ...] = ()) -> IngesterOut:
        queue = queue_name(ingester.source)
        return IngesterOut(
            id=ingester.id,
            kind=ingester.kind,
            name=ingester.name,
            description=ingester.description,
            source=ingester.source,
            running=ingester.running,
            user_id=ingester.user_id,
            created_by=ingester.created_by,
            import_from=ingester.import_from,
            scheduling_period=ingester.scheduling_period,
            settings=feed_kind(ingester.kind).public_config(ingester),
            state=ingester.state,
            health=HealthOut(
                status=status_of(ingester),
                last_run_at=ingester.last_run_at,
                last_success_at=ingester.last_success_at,
                last_error=ingester.last_error,
                last_error_at=ingester.last_error_at,
                last_run_objects=ingester.last_run_objects,
                total_objects=ingester.total_objects,
                last_work_id=ingester.last_work_id,
                queue=queue,
                queue_depth=self.runtime.queue.depth(queue),
                buffering=ingester.buffering,
            ),
            created_at=ingester.created_at,
            updated_at=ingester.updated_at,
            notes=list(notes),
        )

    # -- changing ------------------------------------------------------------------------

    def create(self, kind: str, spec: IngesterCreate, *, verify: bool = True) -> IngesterOut:
        """A new ingester; ``verify`` false (an imported configuration) skips fetching the
        source at creation."""
        feed = feed_kind(kind)
        if self.records_named(kind, spec.name):
            raise Conflict(f"a {kind} ingester named {spec.name!r} already exists")
        notes: list[str] = []
        user_id = self._data_creator(spec.user) if spec.user else self.actor.user_id
        if spec.create_source_user:
            user_id, spec = self._source_account(spec, notes)
        with self._check():
            prepared = feed.prepare(spec, current=None, runtime=self.runtime, verify=verify)
        stamp = now()
        ingester_id = new_ingester_id()
        ingester = Ingester(
            id=ingester_id,
            kind=kind,
            name=spec.name,
            description=spec.description,
            source=source_of(ingester_id),
            running=spec.running,
            user_id=user_id,
            created_by=self.actor.user_id,
            import_from=stix_time(spec.import_from) if spec.import_from else None,
            scheduling_period=spec.scheduling_period or feed.default_period,
            config={**prepared.config, **_http_fields(spec)},
            secret=prepared.secret,
            created_at=stamp,
            updated_at=stamp,
        )
        with self.runtime.db.transaction() as tx:
            self.records.insert(tx, ingester)
            self._audit(tx, "ingester.created", ingester)
        self.runtime.registry.ensure(self.runtime.queue, ingester.source)
        return self.out(ingester, notes=(*notes, *prepared.notes))

    def records_named(self, kind: str, name: str) -> bool:
        return any(i.name == name for i in self.records.list(kind=kind))

    def _source_account(self, spec: IngesterCreate, notes: list[str]) -> tuple[str, IngesterCreate]:
        """The seeds' best practice: user ``[F] <source>`` and organization ``<source>``."""
        source = spec.source_name or spec.name
        with self.runtime.db.read() as tx:
            check_source_user(tx, self.actor)
        access = AccessService(self.runtime.db, self.runtime.store, actor=self.actor)
        account = access.add_source(SourceCreate(name=source))
        notes.append(
            f"created user {account.user.name} ({account.user.email}) in Connectors and "
            f"organization {account.organization.name} ({account.organization.id})"
        )
        if "author" in type(spec).model_fields and getattr(spec, "author", None) is None:
            spec = spec.model_copy(update={"author": account.organization.id})
            notes.append(f"default author: {account.organization.name}")
        return account.user.id, spec

    def update(self, kind: str, ref: str, patch: IngesterUpdate) -> IngesterOut:
        feed = feed_kind(kind)
        current = self.owned(kind, ref)
        spec, notes = self._patched(current, patch)
        user_id = current.user_id
        if "user" in patch.model_fields_set:
            user_id = self._user_id(spec.user) if spec.user else self.actor.user_id
            if user_id not in (current.user_id, None):
                self._data_creator(user_id)
        with self._check():
            prepared: Prepared = feed.prepare(spec, current=current, runtime=self.runtime)
        changed = replace(current, user_id=user_id)
        changed.name = spec.name
        changed.description = spec.description
        changed.import_from = stix_time(spec.import_from) if spec.import_from else None
        changed.scheduling_period = spec.scheduling_period or feed.default_period
        changed.config = {**prepared.config, **_http_fields(spec)}
        changed.secret = {**prepared.secret}
        if changed.import_from != current.import_from or changed.config != current.config:
            changed.state = feed.reset_state(current)
        with self.runtime.db.transaction() as tx:
            self.records.save(tx, changed)
            self._audit(tx, "ingester.updated", changed)
        return self.out(self.records.get(changed.id), notes=(*notes, *prepared.notes))

    def _patched(self, current: Ingester, patch: IngesterUpdate) -> tuple[Any, list[str]]:
        """``current`` with ``patch`` applied, as a create body. Its stored credentials come
        along only to the same destination: a patch that moves the feed must give them again."""
        changes = patch.model_dump(exclude_unset=True)
        stored = self.fields_of(current)
        feed = feed_kind(current.kind)
        moved = feed.destination({**stored, **changes}) != feed.destination(stored)
        merged = {**stored, **({} if moved else current.secret), **changes}
        notes: list[str] = []
        if moved and current.secret and not any(changes.get(k) for k in CREDENTIAL_FIELDS):
            if merged.get("auth_type", "none") != "none":
                raise InvalidInput(
                    "the stored credentials are not sent to a new destination: give them "
                    "again in the same request (or set auth_type to none)"
                )
            notes.append("the stored credentials were dropped: the destination changed")
        return _validate(CREATE_MODELS[current.kind], merged), notes

    def fields_of(self, ingester: Ingester) -> dict[str, Any]:
        """The ingester as a create body, without its credentials, to merge an update into."""
        fields: dict[str, Any] = dict(ingester.config)
        fields.update(
            name=ingester.name,
            description=ingester.description,
            user=ingester.user_id,
            import_from=ingester.import_from,
            scheduling_period=ingester.scheduling_period,
        )
        model = CREATE_MODELS[ingester.kind]
        return {k: v for k, v in fields.items() if k in model.model_fields and v is not None}

    def copied_secret(self, kind: str, ref: str, fields: dict[str, Any]) -> dict[str, Any]:
        """The credentials of ``ref`` for a copy of it with ``fields``: none unless the copy
        goes to the same destination."""
        original = self.owned(kind, ref)
        stored = self.fields_of(original)
        feed = feed_kind(kind)
        if feed.destination({**stored, **fields}) != feed.destination(stored):
            return {}
        return dict(original.secret)

    def delete(self, kind: str, ref: str) -> None:
        ingester = self.owned(kind, ref)
        with self.runtime.db.transaction() as tx:
            self.records.delete(tx, ingester.id)
            self._audit(tx, "ingester.deleted", ingester)
        self.runtime.registry.forget(self.runtime.queue, ingester.source)

    def set_running(self, kind: str, ref: str, running: bool) -> IngesterOut:
        ingester = self.owned(kind, ref)
        ingester.running = running
        with self.runtime.db.transaction() as tx:
            self.records.save(tx, ingester)
            self._audit(tx, "ingester.started" if running else "ingester.stopped", ingester)
        return self.get(kind, ingester.id)

    def reset(self, kind: str, ref: str) -> ResetOut:
        """Cursor back to ``import_from``; items are sent again; the queue is purged."""
        ingester = self.owned(kind, ref)
        ingester.state = feed_kind(kind).reset_state(ingester)
        ingester.generation += 1
        with self.runtime.db.transaction() as tx:
            self.records.save(tx, ingester)
            self._audit(tx, "ingester.reset", ingester)
        purged = self.runtime.queue.purge(queue_name(ingester.source))
        return ResetOut(ingester=self.get(kind, ingester.id), purged=purged)

    # -- running -------------------------------------------------------------------------

    def test(self, kind: str, spec: IngesterCreate) -> PreviewOut:
        """A dry run of settings not saved yet: fetch and map, queue nothing."""
        feed = feed_kind(kind)
        with self._check():
            return self._test(feed, kind, spec)

    def _test(self, feed: FeedKind, kind: str, spec: IngesterCreate) -> PreviewOut:
        prepared = feed.prepare(spec, current=None, runtime=self.runtime)
        draft = Ingester(
            id=new_ingester_id(),
            kind=kind,
            name=spec.name,
            description=spec.description,
            source="test",
            running=False,
            user_id=self.actor.user_id,
            created_by=self.actor.user_id,
            import_from=stix_time(spec.import_from) if spec.import_from else None,
            scheduling_period=spec.scheduling_period or feed.default_period,
            config={**prepared.config, **_http_fields(spec)},
            secret=prepared.secret,
        )
        found = preview(self.runtime, feed, draft)
        return PreviewOut(objects=found.objects, fetched=found.fetched, truncated=found.truncated)

    def test_update(self, kind: str, ref: str, patch: IngesterUpdate) -> PreviewOut:
        """A dry run of an ingester's settings with ``patch`` applied: nothing saved (and the
        stored credentials only to the same destination, as ``update``)."""
        spec, _ = self._patched(self.owned(kind, ref), patch)
        return self.test(kind, spec)

    def test_existing(self, kind: str, ref: str) -> PreviewOut:
        ingester = self.owned(kind, ref)
        with self._check():
            found = preview(self.runtime, feed_kind(kind), ingester)
        return PreviewOut(objects=found.objects, fetched=found.fetched, truncated=found.truncated)

    def run_now(self, kind: str, ref: str, *, timeout: float = 3600.0) -> RunOut:
        """One run right now, in this process (the manager's own runs are scheduled)."""
        ingester = self.owned(kind, ref)
        started = time.monotonic()
        outcome = run_ingester(self.runtime, feed_kind(kind), ingester, deadline=started + timeout)
        if not outcome.ok:
            Outbound.user_check(self.runtime.settings).hold(started)
        return RunOut(
            queued=outcome.queued, works=outcome.works, error=outcome.error, seconds=outcome.seconds
        )

    # -- helpers -------------------------------------------------------------------------

    def _check(self) -> AbstractContextManager[None]:
        """A user-triggered fetch: a failure answers no sooner than the failure floor."""
        return Outbound.user_check(self.runtime.settings).floor()

    def _user_id(self, ref: str) -> str:
        with self.runtime.db.read() as tx:
            return users.find_user(tx, ref).id

    def _data_creator(self, ref: str) -> str:
        """The user ``ref``, if the caller may name them as the creator of the data."""
        with self.runtime.db.read() as tx:
            return data_creator(tx, self.actor, ref)

    def _audit(self, tx: Any, action: str, ingester: Ingester) -> None:
        audit.record_by(
            tx,
            self.actor,
            action,
            target=ingester.id,
            detail=f"{ingester.kind} {ingester.name}",
        )


def status_of(ingester: Ingester) -> str:
    if not ingester.running:
        return "stopped"
    if ingester.buffering:
        return "buffering"
    if ingester.last_run_at is None:
        return "never run"
    return "error" if ingester.last_error else "ok"


def _http_fields(spec: BaseModel) -> dict[str, Any]:
    return {key: getattr(spec, key) for key in HTTP_FIELDS}


def _validate(model: type[BaseModel], fields: dict[str, Any]) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"invalid settings: {problems}") from exc
