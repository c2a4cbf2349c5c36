"""The mapping engine: CSV records → STIX 2.1 objects, row by row, chunk by chunk.

``Engine.rows`` streams a text (bounded memory: one chunk of rows at a time) and yields, for each
data row, the objects it maps to or the reason it could not be mapped (bad date, empty mandatory
cell, bad IP, wrong column count) with its line number; good rows go on. ``chunks`` groups them
for queueing (one bundle per chunk, objects repeated inside a chunk sent once).

Per row, representations are mapped in an order that puts what others reference first: entities
without references, then relationships, then entities that reference relationships. Ids are
deterministic, so the same row mapped twice (by a feed run after a reset, by two feeds) is the
same objects: observables by their STIX 2.1 id-contributing properties, SDOs by OpenCTI's
name-based ids, indicators by their pattern, relationships by type and ends. An indicator
``based-on`` observables gets a pattern built from them and a ``based-on`` relationship to each.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from stixflow.access.markings import TLP_BY_NAME
from stixflow.clock import now
from stixflow.csvmap import catalog, patterns, values
from stixflow.csvmap.catalog import Kind
from stixflow.csvmap.model import (
    USER_CHOICE,
    USER_DEFAULT,
    Attribute,
    Column,
    CsvMapperSpec,
    Representation,
    column_index,
)
from stixflow.csvmap.reader import CsvReader, Record
from stixflow.errors import InvalidInput
from stixflow.stix.ids import NAMESPACE, observable_id, standard_id

StixObject = dict[str, Any]
DEFAULT_CHUNK_ROWS = 1000


class RowError(ValueError):
    """Why one row could not be mapped."""


@dataclass(frozen=True)
class Markings:
    """Markings a mapper may ask for by name: the user's defaults and the user's choice."""

    user_default: tuple[str, ...] = ()
    user_choice: tuple[str, ...] = ()


NO_MARKINGS = Markings()


@dataclass
class Mapped:
    line: int
    key: str
    objects: list[StixObject] = field(default_factory=list)
    error: str | None = None
    date: str | None = None  # the row's first mapped date (for a feed's import_from)


@dataclass
class Chunk:
    objects: list[StixObject]
    rows: list[Mapped]

    @property
    def errors(self) -> list[Mapped]:
        return [row for row in self.rows if row.error is not None]


def ordered(representations: list[Representation]) -> list[Representation]:
    """Entities without references to relationships (fewest ``based_on`` first), relationships,
    then entities that reference relationships."""
    relationships = {r.id for r in representations if r.is_relationship}

    def refs(rep: Representation) -> set[str]:
        return {ref for a in rep.attributes for ref in a.based_on or []}

    plain = [r for r in representations if not r.is_relationship and not refs(r) & relationships]
    plain.sort(key=lambda r: sum(1 for a in r.attributes if a.based_on))
    late = [r for r in representations if not r.is_relationship and refs(r) & relationships]
    return [*plain, *[r for r in representations if r.is_relationship], *late]


def _uuid5(object_type: str, contributing: dict[str, str]) -> str:
    """A name-based id over text properties (sorted-key compact JSON: RFC 8785 for text)."""
    name = orjson.dumps(contributing, option=orjson.OPT_SORT_KEYS).decode()
    return f"{object_type}--{uuid.uuid5(NAMESPACE, name)}"


def fixed_marking(ref: str) -> str:
    if ref.upper() in TLP_BY_NAME:
        return str(TLP_BY_NAME[ref.upper()]["id"])
    if ref.startswith("marking-definition--"):
        return ref
    raise InvalidInput(f"{ref!r} is not a TLP name, a marking id, {USER_DEFAULT} or {USER_CHOICE}")


class Engine:
    """One mapper ready to run: columns resolved, markings resolved, a timestamp for the run."""

    def __init__(
        self, spec: CsvMapperSpec, *, markings: Markings = NO_MARKINGS, stamp: str | None = None
    ) -> None:
        self.spec = spec
        self.markings = markings
        self.stamp = stamp or now()
        self.order = ordered(list(spec.representations))
        self.header: dict[str, int] = {}
        self.date_columns = [
            a.column
            for rep in self.order
            for a in rep.attributes
            if a.column and catalog.attribute_kind(rep.target, a.key) is Kind.DATE
        ]
        for rep in self.order:
            for attribute in rep.attributes:
                if attribute.key == "object_marking_refs":
                    for ref in attribute.defaults:
                        if ref not in (USER_DEFAULT, USER_CHOICE):
                            fixed_marking(ref)

    # -- streaming -------------------------------------------------------------------------

    def rows(self, lines: Iterable[str]) -> Iterator[Mapped]:
        reader = CsvReader(self.spec, lines)
        for record in reader:
            if reader.header is not None and not self.header:
                self.header = {name: i for i, name in enumerate(reader.header)}
            yield self.map_record(record)

    def chunks(self, lines: Iterable[str], *, rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[Chunk]:
        yield from chunked(self.rows(lines), rows=rows)

    # -- one row ---------------------------------------------------------------------------

    def map_record(self, record: Record) -> Mapped:
        mapped = Mapped(line=record.line, key=record.key)
        if record.problem is not None:
            mapped.error = record.problem
            return mapped
        try:
            mapped.date = self._row_date(record.cells)
            mapped.objects = self.map_cells(record.cells)
        except (RowError, ValueError) as exc:
            mapped.error, mapped.objects = str(exc), []
        return mapped

    def map_cells(self, cells: list[str]) -> list[StixObject]:
        built: dict[str, list[StixObject]] = {}
        out: list[StixObject] = []
        for rep in self.order:
            if rep.filter is not None and not self._passes(rep, cells):
                continue
            objects = self._representation(rep, cells, built)
            built[rep.id] = objects[:1]
            out.extend(objects)
        return out

    def _passes(self, rep: Representation, cells: list[str]) -> bool:
        assert rep.filter is not None
        cell = (self._cell(cells, rep.filter.column) or "").strip()
        return (cell == rep.filter.value) == (rep.filter.operator == "eq")

    def _row_date(self, cells: list[str]) -> str | None:
        for column in self.date_columns:
            cell = self._cell(cells, column)
            if cell:
                return values.parse_date(values.transform(cell, column.transform), column)
        return None

    def _cell(self, cells: list[str], column: Column) -> str | None:
        if column.letter is not None:
            index = column_index(column.letter)
            where = column.letter
        else:
            assert column.header is not None
            if column.header not in self.header:
                raise RowError(f"the header has no column {column.header!r}")
            index, where = self.header[column.header], column.header
        if index >= len(cells):
            raise RowError(f"no column {where}: the row has {len(cells)} columns")
        return cells[index]

    def _value(self, rep: Representation, attribute: Attribute, cells: list[str]) -> object:
        """The attribute's value from its column (the default when the cell is empty)."""
        kind = catalog.attribute_kind(rep.target, attribute.key)
        assert kind is not None
        column = attribute.column
        raw: list[str] = []
        if column is not None:
            cell = self._cell(cells, column) or ""
            parts = cell.split(column.separator) if column.separator else [cell]
            raw = [p for p in (values.transform(part, column.transform) for part in parts) if p]
        if not raw:
            raw = attribute.defaults
        if not raw:
            return None
        if kind is Kind.LIST:
            return list(dict.fromkeys(raw))
        try:
            return values.convert(raw[0], kind, column)
        except ValueError as exc:
            raise RowError(f"{rep.id}.{attribute.key}: {exc}") from None

    def _representation(
        self, rep: Representation, cells: list[str], built: dict[str, list[StixObject]]
    ) -> list[StixObject]:
        props: dict[str, Any] = {}
        refs: dict[str, list[StixObject]] = {}
        for attribute in rep.attributes:
            if attribute.based_on:
                refs[attribute.key] = [o for ref in attribute.based_on for o in built.get(ref, [])]
                continue
            value = (
                self._markings(attribute)
                if attribute.key == "object_marking_refs"
                else (self._value(rep, attribute, cells))
            )
            if value is None or value == []:
                continue
            if attribute.key.startswith("hashes."):
                props.setdefault("hashes", {})[attribute.key[7:]] = value
            else:
                props[attribute.key] = value
        for key, objects in refs.items():
            if key == "object_marking_refs":
                props[key] = [o["id"] for o in objects]
            elif key in ("from", "to", "created_by") and objects:
                props[key] = objects[0]["id"]
        if rep.is_relationship:
            return self._relationship(rep, props)
        return self._entity(rep, props, refs.get("based-on", []))

    def _markings(self, attribute: Attribute) -> list[str]:
        found: list[str] = []
        for ref in attribute.defaults:
            if ref == USER_DEFAULT:
                found.extend(self.markings.user_default)
            elif ref == USER_CHOICE:
                found.extend(self.markings.user_choice)
            else:
                found.append(fixed_marking(ref))
        return list(dict.fromkeys(found))

    def _missing(self, rep: Representation, props: dict[str, Any]) -> str | None:
        for requirement in catalog.mandatory(rep.target):
            present = any(
                (k in props) or (k.startswith("hashes.") and k[7:] in props.get("hashes", {}))
                for k in requirement
            )
            if not present:
                return requirement[0]
        return None

    def _entity(
        self, rep: Representation, props: dict[str, Any], observables: list[StixObject]
    ) -> list[StixObject]:
        target = rep.target
        from_column = "pattern" in props
        if target == "indicator" and observables and not from_column:
            props["pattern"] = patterns.pattern_of(observables)
            props.setdefault("name", _label(observables[0]))
        missing = self._missing(rep, props)
        if missing is not None:
            if target == "indicator" and "pattern" not in props and rep.attribute("based-on"):
                return []  # its observable was not mapped on this row (filtered out)
            raise RowError(f"{rep.id}: empty mandatory cell for {missing}")
        obj: StixObject = {"type": target, "spec_version": "2.1"}
        created_by = props.pop("created_by", None)
        props.pop("based-on", None)
        if catalog.is_observable(target):
            for key in ("value",):
                if key in props:
                    try:
                        props[key] = values.check_observable(target, str(props[key]))
                    except ValueError as exc:
                        raise RowError(f"{rep.id}: {exc}") from None
            obj.update(props)
            obj["id"] = observable_id(obj) or f"{target}--{uuid.uuid4()}"
            return [obj]
        obj["created"] = props.pop("created", self.stamp)
        obj["modified"] = props.pop("modified", obj["created"])
        if created_by:
            obj["created_by_ref"] = created_by
        obj.update(props)
        _sdo_defaults(obj)
        if target == "indicator":
            try:
                if from_column:
                    patterns.check_pattern(obj["pattern"])
            except patterns.PatternError as exc:
                raise RowError(f"{rep.id}: {exc}") from None
            obj["id"] = _uuid5("indicator", {"pattern": obj["pattern"]})
        else:
            obj["id"] = standard_id(obj) or _uuid5(target, {"name": str(obj.get("name"))})
        related = [self._based_on(obj, o) for o in observables]
        return [obj, *related]

    def _based_on(self, indicator: StixObject, observable: StixObject) -> StixObject:
        return self._relationship_object("based-on", indicator["id"], observable["id"], {})

    def _relationship(self, rep: Representation, props: dict[str, Any]) -> list[StixObject]:
        source, target = props.pop("from", None), props.pop("to", None)
        if source is None or target is None:
            return []  # one end was not mapped on this row (filtered out)
        return [self._relationship_object(rep.target, source, target, props)]

    def _relationship_object(
        self, kind: str, source: str, target: str, props: dict[str, Any]
    ) -> StixObject:
        created_by = props.pop("created_by", None)
        obj: StixObject = {
            "type": "relationship",
            "spec_version": "2.1",
            "id": _uuid5(
                "relationship",
                {"relationship_type": kind, "source_ref": source, "target_ref": target},
            ),
            "created": props.pop("created", self.stamp),
            "modified": self.stamp,
            "relationship_type": kind,
            "source_ref": source,
            "target_ref": target,
            **props,
        }
        if created_by:
            obj["created_by_ref"] = created_by
        return obj


def _sdo_defaults(obj: StixObject) -> None:
    kind = obj["type"]
    if kind == "malware":
        obj.setdefault("is_family", True)
    elif kind == "identity":
        obj.setdefault("identity_class", "organization")
    elif kind == "indicator":
        obj.setdefault("pattern_type", "stix")
        obj.setdefault("valid_from", obj["created"])


def _label(observable: StixObject) -> str:
    for key in ("value", "name", "path", "number"):
        if observable.get(key) not in (None, ""):
            return str(observable[key])
    hashes = observable.get("hashes") or {}
    return str(next(iter(hashes.values()), observable["id"]))


def chunked(mapped: Iterable[Mapped], *, rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[Chunk]:
    """Groups of ``size`` rows with their objects, each object once per group."""
    objects: dict[str, StixObject] = {}
    group: list[Mapped] = []
    for row in mapped:
        group.append(row)
        for obj in row.objects:
            objects.setdefault(obj["id"], obj)
        if len(group) >= rows:
            yield Chunk(list(objects.values()), group)
            objects, group = {}, []
    if group:
        yield Chunk(list(objects.values()), group)
