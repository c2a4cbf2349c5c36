"""TAXII Push: a collection that accepts Add Objects (TAXII 2.1 §5.5) and queues what it gets.

Each ingester exposes ``/taxii2/root/collections/<id>/objects/``. A push is accepted only while
the ingester runs and from a caller it authorizes (one of its users, a member of one of its
groups or organizations, or an administrator); the objects are queued on its own queue as its
user responsible for data creation, and the answer is a status resource (§4.3) whose counts move
from pending to success or failure as workers apply them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from pydantic import BaseModel, Field

from stixflow.access import audit, groups, organizations, users
from stixflow.access.audit import Actor
from stixflow.access.ownership import Ownership, check_data_creator, data_creator
from stixflow.access.principal import principal_of
from stixflow.access.schemas import Name, Ref
from stixflow.errors import AccessDenied, InvalidBundle, NotFound
from stixflow.queue.message import queue_name
from stixflow.runtime import Runtime
from stixflow.stix.bundle import normalize, parse_bundle
from stixflow.store.base import StixObject
from stixflow.taxii import resources
from stixflow.taxii.push_records import (
    Authorized,
    PushIngester,
    PushRecords,
    PushStatus,
    new_push_ingester_id,
)

SCORE_EXTENSION = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
PUSH_CAPABILITY = "TAXIIAPI"


class PushCreate(BaseModel):
    name: Name
    description: str = Field("", max_length=5000)
    user: Ref | None = Field(None, description="user responsible for data creation; default: you")
    authorized: Authorized = Field(default_factory=Authorized, description="who may push")
    confidence_to_score: bool = Field(False, description="copy indicator confidence to score")
    running: bool = False


class PushUpdate(BaseModel):
    name: Name | None = None
    description: str | None = Field(None, max_length=5000)
    user: Ref | None = None
    authorized: Authorized | None = None
    confidence_to_score: bool | None = None


class PushHealth(BaseModel):
    status: str
    last_push_at: str | None
    total_objects: int
    last_work_id: str | None
    queue: str
    queue_depth: int


class PushOut(BaseModel):
    id: str
    name: str
    description: str
    source: str
    user_id: str | None
    authorized: Authorized
    confidence_to_score: bool
    running: bool
    collection_path: str
    health: PushHealth
    created_at: str
    updated_at: str


def confidence_to_score(objects: list[StixObject]) -> list[StixObject]:
    """Indicators with a ``confidence`` get it as their score (OpenCTI's extension)."""
    changed = []
    for obj in objects:
        confidence = obj.get("confidence")
        if obj.get("type") == "indicator" and isinstance(confidence, int):
            extensions = dict(obj.get("extensions") or {})
            own = {"extension_type": "property-extension", **extensions.get(SCORE_EXTENSION, {})}
            extensions[SCORE_EXTENSION] = {**own, "score": confidence}
            obj = {**obj, "extensions": extensions}
        changed.append(obj)
    return changed


def envelope_objects(body: bytes) -> list[StixObject]:
    """The objects of a TAXII envelope (or a STIX bundle); InvalidBundle when there are none."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidBundle(f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or not document.get("objects"):
        raise InvalidBundle("objects required: the envelope holds no objects")
    return parse_bundle(document["objects"])


class PushService:
    """Administration (owned: a caller acts on the ingesters they created, ``administer`` on
    all; ``access/ownership.py``) and pushing (open to whom each ingester authorizes)."""

    def __init__(self, runtime: Runtime, *, actor: Actor, administer: bool = False) -> None:
        self.runtime = runtime
        self.actor = actor
        self.ownership = Ownership.of(actor, administer=administer)
        self.records = PushRecords(runtime.db)

    # -- administration ------------------------------------------------------------------

    def list(self) -> list[PushOut]:
        owned = self.records.list(owner=self.ownership.owner_filter)
        return [self.out(ingester) for ingester in owned]

    def get(self, ref: str) -> PushOut:
        with self.runtime.db.read() as tx:
            ingester = self.owned(tx, ref)
        return self.out(ingester)

    def owned(self, tx: Any, ref: str) -> PushIngester:
        """The ingester ``ref`` if the caller may act on it; NotFound otherwise."""
        ingester = self.records.get_in(tx, ref)
        if not self.ownership.may_act_on(ingester.created_by):
            raise NotFound(f"no TAXII Push ingester {ref}")
        return ingester

    def create(self, spec: PushCreate) -> PushOut:
        ingester_id = new_push_ingester_id()
        with self.runtime.db.transaction() as tx:
            ingester = PushIngester(
                id=ingester_id,
                name=spec.name,
                description=spec.description,
                source=f"taxii-push-{ingester_id}",
                user_id=data_creator(tx, self.actor, spec.user)
                if spec.user
                else self.actor.user_id,
                authorized=_resolved(tx, spec.authorized),
                confidence_to_score=spec.confidence_to_score,
                running=spec.running,
                created_by=self.actor.user_id,
            )
            self.records.insert(tx, ingester)
            self._audit(tx, "taxii_push.created", ingester)
        self.runtime.registry.ensure(self.runtime.queue, ingester.source)
        return self.out(ingester)

    def update(self, ref: str, patch: PushUpdate) -> PushOut:
        with self.runtime.db.transaction() as tx:
            ingester = replace(self.owned(tx, ref))
            changes = patch.model_dump(exclude_unset=True, exclude_none=True)
            ingester.name = changes.get("name", ingester.name)
            ingester.description = changes.get("description", ingester.description)
            ingester.confidence_to_score = changes.get(
                "confidence_to_score", ingester.confidence_to_score
            )
            if patch.user is not None:
                user_id = users.find_user(tx, patch.user).id
                if user_id != ingester.user_id:
                    check_data_creator(tx, self.actor, user_id)
                ingester.user_id = user_id
            if patch.authorized is not None:
                ingester.authorized = _resolved(tx, patch.authorized)
            self.records.save(tx, ingester)
            self._audit(tx, "taxii_push.updated", ingester)
        return self.get(ingester.id)

    def set_running(self, ref: str, running: bool) -> PushOut:
        with self.runtime.db.transaction() as tx:
            ingester = self.owned(tx, ref)
            ingester.running = running
            self.records.save(tx, ingester)
            self._audit(tx, "taxii_push.started" if running else "taxii_push.stopped", ingester)
        return self.get(ingester.id)

    def delete(self, ref: str) -> None:
        with self.runtime.db.transaction() as tx:
            ingester = self.owned(tx, ref)
            self.records.delete(tx, ingester.id)
            self._audit(tx, "taxii_push.deleted", ingester)
        self.runtime.registry.forget(self.runtime.queue, ingester.source)

    def out(self, ingester: PushIngester) -> PushOut:
        queue = queue_name(ingester.source)
        return PushOut(
            id=ingester.id,
            name=ingester.name,
            description=ingester.description,
            source=ingester.source,
            user_id=ingester.user_id,
            authorized=ingester.authorized,
            confidence_to_score=ingester.confidence_to_score,
            running=ingester.running,
            collection_path=f"/taxii2/{resources.API_ROOT}/collections/{ingester.id}/",
            health=PushHealth(
                status="running" if ingester.running else "stopped",
                last_push_at=ingester.last_push_at,
                total_objects=ingester.total_objects,
                last_work_id=ingester.last_work_id,
                queue=queue,
                queue_depth=self.runtime.queue.depth(queue),
            ),
            created_at=ingester.created_at,
            updated_at=ingester.updated_at,
        )

    def _audit(self, tx: Any, action: str, ingester: PushIngester) -> None:
        audit.record_by(
            tx,
            self.actor,
            action,
            target=ingester.id,
            detail=f"taxii-push {ingester.name}",
        )

    # -- pushing -------------------------------------------------------------------------

    def writable(self, user_id: str, *, is_admin: bool) -> list[PushIngester]:
        """The running ingesters this caller may push to (listed as write-only collections)."""
        found = [i for i in self.records.list() if i.running]
        return [i for i in found if self.may_push(i, user_id, is_admin=is_admin)]

    def may_push(self, ingester: PushIngester, user_id: str, *, is_admin: bool) -> bool:
        if is_admin or user_id in ingester.authorized.users:
            return True
        with self.runtime.db.read() as tx:
            own_groups = {group.id for group in groups.groups_of(tx, user_id)}
            organization = users.find_user(tx, user_id).organization_id
        if own_groups & set(ingester.authorized.groups):
            return True
        return organization is not None and organization in ingester.authorized.organizations

    def add_objects(self, ref: str, body: bytes, *, user_id: str, is_admin: bool) -> dict:
        """Queue the envelope's objects; the status resource of the push (§5.5)."""
        ingester = self.records.get(ref)
        if not ingester.running:
            raise AccessDenied(PUSH_CAPABILITY, f"TAXII Push ingester {ingester.name} is stopped")
        if not self.may_push(ingester, user_id, is_admin=is_admin):
            raise AccessDenied(PUSH_CAPABILITY, f"you may not push to {ingester.name}")
        objects = envelope_objects(body)
        if ingester.confidence_to_score:
            objects = confidence_to_score(objects)
        versions = _versions(objects)
        work = self.runtime.submitter.submit(
            objects,
            name=f"TAXII push to {ingester.name}",
            source=ingester.source,
            user_id=ingester.user_id,
            default_markings=self._default_markings(ingester),
        )
        status = PushStatus(work.id, ingester.id, user_id, versions)
        with self.runtime.db.transaction() as tx:
            self.records.record_push(tx, ingester.id, status, len(objects))
        return resources.status(work, versions)

    def status(self, work_id: str, *, user_id: str, is_admin: bool) -> dict:
        """A push's status, for the caller who pushed (or an administrator) only."""
        pushed = self.records.status(work_id)
        work = self.runtime.works.get(work_id)
        if work is None or (pushed.user_id != user_id and not is_admin):
            raise NotFound(f"no status {work_id}")
        return resources.status(work, pushed.versions)

    def _default_markings(self, ingester: PushIngester) -> tuple[str, ...]:
        if ingester.user_id is None:
            return ()
        with self.runtime.db.read() as tx:
            return principal_of(tx, ingester.user_id).default_markings


def _versions(objects: list[StixObject]) -> dict[str, str]:
    """id → version of every pushed object, under its pushed id and its stored id."""
    aliases = normalize(objects).aliases
    versions: dict[str, str] = {}
    for obj in objects:
        object_id = obj.get("id")
        version = obj.get("modified") or obj.get("created") or ""
        if isinstance(object_id, str):
            versions[object_id] = str(version)
            versions[aliases.get(object_id, object_id)] = str(version)
    return versions


def _resolved(tx: Any, authorized: Authorized) -> Authorized:
    return Authorized(
        users=[users.find_user(tx, ref).id for ref in authorized.users],
        groups=[groups.find_group(tx, ref).id for ref in authorized.groups],
        organizations=[
            organizations.find_organization(tx, ref).id for ref in authorized.organizations
        ],
    )
