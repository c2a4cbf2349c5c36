"""What one reader of one live stream gets from the event log (OpenCTI spec §7.1 semantics).

Per event, in commit order:

* create / merge: sent when the object passes the stream's filter and the reader's markings;
* update: sent when the new version passes; when it no longer passes but the previous version
  did (its markings or type changed), a ``delete`` of the previous version is sent instead;
* delete: sent when the deleted version passed (and deletions are listened to).

Every object sent is cut to what the reader may see of it (``visibility.readable``: granular
markings); an update whose object loses parts for the reader comes without its patch. A
relationship or sighting is hidden when one of its ends is hidden from the reader. With
dependency resolution on (and a filter that leaves things out), an object sent is preceded by the
objects it references and, for entities, by the relationships touching it and their other ends,
each once per connection (``sent`` remembers the last ``MAX_SENT`` ids). ``no_dependencies``
resolves references only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from stixflow.db.base import Database
from stixflow.stix.bundle import references
from stixflow.store import marking_sets, rows
from stixflow.store.base import Access, StixObject
from stixflow.store.events import COLUMNS as EVENT_COLUMNS
from stixflow.store.events import FROM, PAYLOAD, Event, event_of, payload_of
from stixflow.store.sql import SQLStore
from stixflow.store.visibility import readable
from stixflow.streams.envelope import Flavour, opencti_body
from stixflow.streams.sse import CREATE, DELETE, UPDATE, Message
from stixflow.taxii.filters import ObjectFilter

MAX_SENT = 5000
MAX_DEPTH = 2
EDGE_TYPES = frozenset({"relationship", "sighting"})
GRANULAR_PATH = "/granular_markings"


def payload(
    kind: str,
    obj: StixObject,
    *,
    event: Event | None = None,
    dependency: bool = False,
    with_patch: bool = True,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "data": obj}
    if event is not None:
        body.update(seq=event.seq, created_at=event.created_at, source=event.source)
        if kind == UPDATE and event.patch is not None and with_patch:
            body["patch"] = event.patch
    if dependency:
        body["origin"] = {"referer": "dependencies"}
    return body


class StreamView:
    def __init__(
        self,
        db: Database,
        filters: ObjectFilter,
        access: Access,
        *,
        listen_delete: bool = True,
        no_dependencies: bool = False,
        flavour: Flavour = Flavour.STIXFLOW,
    ) -> None:
        self.db = db
        self.flavour = flavour
        self.store = SQLStore(db)
        self.filters = filters
        self.access = access
        self.listen_delete = listen_delete
        self.no_dependencies = no_dependencies
        self.sent: OrderedDict[str, None] = OrderedDict()

    # -- events --------------------------------------------------------------------------

    def translate(self, events: Sequence[Event]) -> list[Message]:
        hidden = self._hidden_ends([event.data for event in events])
        messages: list[Message] = []
        for event in events:
            messages.extend(self._one(event, hidden))
        return self._shaped(messages)

    def _shaped(self, messages: list[Message]) -> list[Message]:
        """The messages' data in the reader's flavour (OpenCTI's envelope, or ours as is)."""
        if self.flavour != Flavour.OPENCTI or not messages:
            return messages
        first_seen = self._first_seen([m.data["data"]["id"] for m in messages])
        shaped: list[Message] = []
        following: int | None = None
        for m in reversed(messages):
            # a dependency gets the position just before the event it precedes: a reader that
            # stops between them resumes with that event (and its dependencies) again
            ident = m.id if m.id is not None else (None if following is None else following - 1)
            following = m.id if m.id is not None else following
            body = opencti_body(m.data, created_at=first_seen.get(m.data["data"]["id"]))
            shaped.append(Message(m.event, body, ident))
        return shaped[::-1]

    def _first_seen(self, object_ids: Sequence[str]) -> dict[str, str]:
        """When the platform first saw each object (OpenCTI's ``created_at``), deleted ones too:
        a reader that files objects by that date (backup-files) finds a deletion's file again."""
        wanted = sorted(set(object_ids))
        found: dict[str, str] = {}
        with self.db.read() as tx:
            for start in range(0, len(wanted), 400):
                part = wanted[start : start + 400]
                where = f"id IN {self.db.in_clause(len(part))}"
                rows_found = tx.fetchall(f"SELECT id, first_seen FROM objects WHERE {where}", part)
                found.update({str(row[0]): str(row[1]) for row in rows_found})
            # a deleted object: its first event in the log was written when it was first seen
            gone = [object_id for object_id in wanted if object_id not in found]
            for start in range(0, len(gone), 400):
                part = gone[start : start + 400]
                where = f"object_id IN {self.db.in_clause(len(part))}"
                rows_found = tx.fetchall(
                    f"SELECT object_id, MIN(created_at) FROM stream_events WHERE {where} "
                    "GROUP BY object_id",
                    part,
                )
                found.update({str(row[0]): str(row[1]) for row in rows_found if row[1]})
        return found

    def _one(self, event: Event, hidden: set[str]) -> list[Message]:
        obj = self._passing(event.data, event.source, hidden)
        if event.kind == DELETE:
            if self.listen_delete and obj is not None:
                return [Message(DELETE, payload(DELETE, obj, event=event), event.seq)]
            return []
        if obj is not None:
            self._remember(obj["id"])
            found = self._dependencies(obj)
            body = payload(event.kind, obj, event=event, with_patch=self._patch_shown(event, obj))
            found.append(Message(event.kind, body, event.seq))
            return found
        if event.kind == UPDATE and self.listen_delete:
            previous = self._previous(event)
            if previous is not None:
                previous = self._passing(previous, event.source, hidden)
            if previous is not None:
                return [Message(DELETE, payload(DELETE, previous, event=event), event.seq)]
        return []

    def _passing(self, obj: StixObject, source: str | None, hidden: set[str]) -> StixObject | None:
        """``obj`` as the reader may see it, if it passes the stream's filter (None if not)."""
        seen = readable(obj, self.access)
        if seen is None:
            return None
        if seen.get("type") in EDGE_TYPES and any(end in hidden for end in rows.endpoints(seen)):
            return None
        return seen if self.filters.matches(seen, source=source) else None

    def _patch_shown(self, event: Event, shown: StixObject) -> bool:
        """An update's patch goes only to a reader who loses nothing of the object, before or
        after (a change of granular markings may uncover or hide parts): others get the whole
        object as they may see it, without the patch, which could hold a cut value."""
        if self.access.allowed_markings is None:
            return True
        touched = {op.get("path") for op in event.patch or ()}
        return shown is event.data and GRANULAR_PATH not in touched

    def _hidden_ends(self, objects: Sequence[StixObject]) -> set[str]:
        """Ends of the given relationships/sightings that carry a marking the reader lacks."""
        if self.access.allowed_markings is None:
            return set()
        ends = sorted(
            {
                end
                for obj in objects
                if obj.get("type") in EDGE_TYPES
                for end in rows.endpoints(obj)
                if end
            }
        )
        if not ends:
            return set()
        sets, allowed = marking_sets.hidden_sets(sorted(self.access.allowed_markings))
        hidden: set[str] = set()
        with self.db.read() as tx:
            for start in range(0, len(ends), 400):
                part = ends[start : start + 400]
                hidden.update(
                    row[0]
                    for row in tx.fetchall(
                        f"SELECT id FROM objects WHERE id IN {self.db.in_clause(len(part))} "
                        f"AND marking_set IN ({sets})",
                        [*part, *allowed],
                    )
                )
        return hidden

    def _previous(self, event: Event) -> StixObject | None:
        with self.db.read() as tx:
            row = tx.fetchone(
                f"SELECT e.kind, {PAYLOAD} FROM {FROM} "
                "WHERE e.object_id = ? AND e.seq < ? ORDER BY e.seq DESC LIMIT 1",
                (event.object_id, event.seq),
            )
        if row is None or row[0] == DELETE:
            return None
        return payload_of(row[1:])

    # -- dependencies --------------------------------------------------------------------

    def _dependencies(self, obj: StixObject) -> list[Message]:
        if self.filters.empty:
            return []
        found: list[Message] = []
        self._refs(obj, found, depth=0)
        if self.no_dependencies or obj.get("type") in EDGE_TYPES:
            return found
        for edge in self.store.relationships(obj["id"], access=self.access):
            if edge["id"] in self.sent:
                continue
            self._refs(edge, found, depth=0)
            self._remember(edge["id"])
            found.append(Message(CREATE, payload(CREATE, edge, dependency=True)))
        return found

    def _refs(self, obj: StixObject, found: list[Message], *, depth: int) -> None:
        for ref in sorted(references(obj)):
            if ref in self.sent or ref == obj.get("id"):
                continue
            stored = self.store.get(ref, access=self.access)
            self._remember(ref)
            if stored is None:
                continue
            if depth < MAX_DEPTH:
                self._refs(stored.data, found, depth=depth + 1)
            found.append(Message(CREATE, payload(CREATE, stored.data, dependency=True)))

    def _remember(self, object_id: str) -> None:
        self.sent[object_id] = None
        self.sent.move_to_end(object_id)
        while len(self.sent) > MAX_SENT:
            self.sent.popitem(last=False)

    # -- the state at a point of the log -------------------------------------------------

    def snapshot_page(
        self, after: int, upto: int, *, limit: int = 500, recovery: bool = False
    ) -> tuple[list[Message], int]:
        """Objects as they stood at log position ``upto`` (latest event per object, not
        deleted), in log order after ``after``, as ``create`` messages without ids; with the
        position to continue from (``upto`` when done).

        ``recovery`` (OpenCTI's ``recover``): the log between ``after`` and ``upto`` compacted,
        each message with the id of the object's latest event there, in log order, so a reader
        that stops half-way resumes from its last id with no gap and no repeat; an object whose
        latest event there is a deletion is sent as a ``delete`` (when deletions are listened to
        and the reader started after the beginning)."""
        with self.db.read() as tx:
            found = tx.fetchall(
                f"SELECT {EVENT_COLUMNS} FROM {FROM} WHERE e.seq > ? AND e.seq <= ? "
                "AND NOT EXISTS (SELECT 1 FROM stream_events l WHERE l.object_id = e.object_id "
                "AND l.seq > e.seq AND l.seq <= ?) ORDER BY e.seq LIMIT ?",
                (after, upto, upto, limit),
            )
        events = [event_of(row) for row in found]
        hidden = self._hidden_ends([event.data for event in events])
        messages: list[Message] = []
        for event in events:
            if event.kind == DELETE:
                gone = self._passing(event.data, event.source, hidden)
                if recovery and after > 0 and self.listen_delete and gone is not None:
                    messages.append(Message(DELETE, payload(DELETE, gone, event=event), event.seq))
                continue
            obj = self._passing(event.data, event.source, hidden)
            if obj is None:
                continue
            self._remember(event.object_id)
            messages.extend(self._dependencies(obj))
            body = payload(CREATE, obj, event=event)
            if recovery:
                body["origin"] = {"referer": "init"}
            messages.append(Message(CREATE, body, event.seq if recovery else None))
        return self._shaped(messages), (events[-1].seq if len(found) == limit else upto)
