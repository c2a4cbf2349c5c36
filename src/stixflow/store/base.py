"""The knowledge-store interface and the value types it speaks.

One implementation (``stixflow.store.sql.SQLStore``) serves every SQL back end through
``stixflow.db``; the marking filter lives here, in the store layer, so that no read channel
can forget it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from stixflow.db.base import Tx

if TYPE_CHECKING:
    from stixflow.store.prepared import PreparedWrite

StixObject = dict[str, Any]


@dataclass(frozen=True)
class Provenance:
    """Who and what brought objects in: recorded on every object written."""

    seen_at: str
    user_id: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Access:
    """What a reader may see. ``allowed_markings=None`` means everything (admin, internal)."""

    allowed_markings: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> Access:
        return cls(None)

    @classmethod
    def only(cls, markings: Sequence[str]) -> Access:
        return cls(frozenset(markings))


@dataclass(frozen=True)
class ObjectQuery:
    """Filters for listing objects; every filter is optional and they combine with AND."""

    types: tuple[str, ...] = ()
    text: str | None = None
    marking: str | None = None
    author: str | None = None
    source: str | None = None
    creator: str | None = None
    modified_after: str | None = None
    modified_before: str | None = None
    ids: tuple[str, ...] = ()
    limit: int = 100
    cursor: str | None = None


@dataclass
class Page:
    objects: list[StixObject]
    next_cursor: str | None


@dataclass
class StoredObject:
    """A STIX object with the platform's provenance beside it."""

    data: StixObject
    first_seen: str
    last_seen: str
    sources: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    #: Its references to objects the store does not hold (yet): ``store.missing``.
    missing_refs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MissingRef:
    """A stored object's reference to an object the store does not hold (``store.missing``)."""

    object_id: str
    ref_id: str


@dataclass
class WriteResult:
    """Counts per object id; ``refused``: the given ids (one per object given) the writer may
    not change, because it cannot read their stored version whole."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)
    #: References of the objects written that name no held object (yet).
    missing: list[MissingRef] = field(default_factory=list)
    #: Stored objects whose references to an alias were rewritten to the canonical id.
    relinked: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


class KnowledgeStore(Protocol):
    """The narrow interface: write in a caller's transaction, read with an Access."""

    def upsert(
        self,
        tx: Tx,
        objects: Sequence[StixObject],
        *,
        provenance: Provenance,
        aliases: Mapping[str, str] | None = None,
        overwrite: bool = False,
        prepared: PreparedWrite | None = None,
        writer: Access | None = None,
        enriched: Collection[str] = (),
    ) -> WriteResult:
        """Merge each object with its stored version (``overwrite``: replace it as it is);
        refuse those whose stored version ``writer`` (None: anyone) cannot read whole;
        ``enriched``: ids whose incoming copy (an enrichment's result) wins equal ``modified``."""
        ...

    def get(self, object_id: str, *, access: Access) -> StoredObject | None: ...

    def query(self, query: ObjectQuery, *, access: Access) -> Page: ...

    def held(self, ids: Sequence[str]) -> dict[str, StixObject]: ...

    def relationships(self, object_id: str, *, access: Access) -> list[StixObject]: ...

    def delete(
        self,
        object_id: str,
        *,
        provenance: Provenance | None = None,
        writer: Access | None = None,
    ) -> bool: ...

    def delete_in(
        self,
        tx: Tx,
        object_id: str,
        *,
        provenance: Provenance,
        keep_shared: bool = False,
        writer: Access | None = None,
    ) -> bool:
        """``delete`` in the caller's transaction (``keep_shared``: only unlink the source;
        ``writer``: keep an object it cannot read whole)."""
        ...

    def count_by_type(self, *, access: Access) -> dict[str, int]: ...
