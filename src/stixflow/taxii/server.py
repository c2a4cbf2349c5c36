"""The TAXII 2.1 server's one API root: which collections a caller sees, and reading them.

Read collections are the saved filters admins define (``collections.py``); write-only
collections are the running TAXII Push ingesters the caller may push to (``push.py``). Reading a
push collection is refused (403), a stopped collection or ingester looks like no collection
(404), and every read is cut down to the reader's markings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stixflow.access.audit import Actor
from stixflow.errors import AccessDenied, NotFound, Unauthenticated
from stixflow.runtime import Runtime
from stixflow.store.base import Access
from stixflow.taxii import resources
from stixflow.taxii.collections import Definition, collections, public_access
from stixflow.taxii.push import PushService
from stixflow.taxii.reader import CollectionReader


@dataclass(frozen=True)
class Viewer:
    """Who reads: a user allowed to share data (``TAXIIAPI``), or anonymous (``user_id`` None)."""

    user_id: str | None
    is_admin: bool = False
    access: Access = field(default_factory=Access.everything)

    @property
    def anonymous(self) -> bool:
        return self.user_id is None

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, address=None, is_admin=self.is_admin)


class TaxiiServer:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.definitions = collections(runtime.db)

    def collections(self, viewer: Viewer) -> list[dict]:
        found = [
            resources.collection(d.id, d.name, d.description, can_read=True, can_write=False)
            for d in self.definitions.list()
            if d.running and (d.public or not viewer.anonymous)
        ]
        if viewer.user_id is not None:
            pushes = PushService(self.runtime, actor=viewer.actor)
            found.extend(
                resources.collection(i.id, i.name, i.description, can_read=False, can_write=True)
                for i in pushes.writable(viewer.user_id, is_admin=viewer.is_admin)
            )
        return found

    def collection(self, collection_id: str, viewer: Viewer) -> dict:
        definition = self._definition(collection_id)
        if definition is not None:
            self._check_read(definition, viewer)
            return resources.collection(
                definition.id,
                definition.name,
                definition.description,
                can_read=True,
                can_write=False,
            )
        if viewer.user_id is None:
            raise Unauthenticated("authentication required")
        pushes = PushService(self.runtime, actor=viewer.actor)
        ingester = pushes.records.get(collection_id)
        if not ingester.running or not pushes.may_push(
            ingester, viewer.user_id, is_admin=viewer.is_admin
        ):
            raise NotFound(f"no collection {collection_id}")
        return resources.collection(
            ingester.id, ingester.name, ingester.description, can_read=False, can_write=True
        )

    def reader(self, collection_id: str, viewer: Viewer) -> CollectionReader:
        """A reader of a read collection; 403 for a push (write-only) collection."""
        definition = self._definition(collection_id)
        if definition is None:
            self.collection(collection_id, viewer)
            raise AccessDenied("TAXIIAPI", "this collection is write-only (TAXII Push)")
        self._check_read(definition, viewer)
        access = public_access() if viewer.anonymous else viewer.access
        return CollectionReader(self.runtime.db, definition.filters, access)

    def _definition(self, collection_id: str) -> Definition | None:
        try:
            definition = self.definitions.get(collection_id)
        except NotFound:
            return None
        return definition if definition.running and definition.id == collection_id else None

    def _check_read(self, definition: Definition, viewer: Viewer) -> None:
        if viewer.anonymous and not definition.public:
            raise Unauthenticated("authentication required")
