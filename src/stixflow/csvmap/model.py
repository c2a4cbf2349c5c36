"""The CSV mapper: how a CSV file's columns become STIX objects (the model and its checks).

A mapper describes the file (header, separator, quote character, comment prefix) and a list of
representations. A representation targets one STIX type (``ipv4-addr``, ``indicator``,
``malware``…) or one relationship type (``indicates``…) and fills its attributes from a column
(by letter ``A``…``ZZ`` or by header name), from other representations of the same row
(``based_on``), or from a default value. ``check`` refuses a mapper a user could not run, with a
message naming the representation and the attribute: a mandatory attribute left unmapped, an
unknown attribute, a reference to a representation that does not exist, a self-reference or a
two-representation cycle, several representations on a single-valued reference.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from stixflow.csvmap import catalog
from stixflow.csvmap.catalog import Kind
from stixflow.errors import InvalidInput

#: ``object_marking_refs`` default values with a meaning of their own.
USER_DEFAULT = "user-default"  # the default markings of the user responsible for the data
USER_CHOICE = "user-choice"  # the markings chosen when the mapper is used (feed, import)
MAX_COLUMN = 26 + 26 * 26  # ZZ
_LETTERS = re.compile(r"^[A-Z]{1,2}$")

Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Transform(Strict):
    """A value clean-up applied to the cell, in this order: trim, strip a prefix, lower case."""

    trim: bool = True
    strip_prefix: str | None = Field(None, max_length=100)
    lower: bool = False


class Column(Strict):
    """Where a value comes from: a column letter (``A``…``ZZ``) or a header name."""

    letter: str | None = Field(None, description="A … ZZ")
    header: Short | None = Field(None, description="a name of the header line (has_header)")
    separator: str | None = Field(None, min_length=1, max_length=10, description="multi-value")
    date_format: str | None = Field(
        None, max_length=100, description="strptime format, e.g. %d-%m-%Y %H:%M:%S; else ISO-8601"
    )
    timezone: str | None = Field(None, max_length=64, description="IANA zone of naive dates")
    transform: Transform = Transform()

    @field_validator("letter")
    @classmethod
    def _letter(cls, value: str | None) -> str | None:
        if value is not None and not _LETTERS.match(value.upper()):
            raise ValueError(f"{value!r} is not a column letter (A … ZZ)")
        return value.upper() if value else value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{value!r} is not an IANA time zone") from exc
        return value


#: A default value as JSON gives it (``"default": true`` for a boolean attribute).
DefaultValue = Annotated[str, Field(max_length=2000)] | bool | int | float


class Attribute(Strict):
    key: Short = Field(
        description="STIX property (value, name, labels, hashes.SHA-256…), "
        "from/to, based-on, created_by or object_marking_refs"
    )
    column: Column | None = None
    based_on: Annotated[list[Short], Field(max_length=50)] | None = Field(
        None, description="ids of representations of the same row"
    )
    default: DefaultValue | Annotated[list[DefaultValue], Field(max_length=200)] | None = Field(
        None,
        description="used when the cell is empty, of the attribute's type: text, a number, "
        "true/false, a list (markings: TLP names, ids, 'user-default' or 'user-choice')",
    )

    @property
    def defaults(self) -> list[str]:
        """The default as the text a cell would hold (``true``, ``42``, ``1.5``…)."""
        if self.default is None:
            return []
        given = self.default if isinstance(self.default, list) else [self.default]
        return [_as_cell(value) for value in given]


def _as_cell(value: str | bool | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


class Filter(Strict):
    """The representation applies only to rows whose cell equals (or differs from) ``value``."""

    column: Column
    operator: Literal["eq", "not_eq"] = "eq"
    value: str = ""


class Representation(Strict):
    id: Short
    target: Short = Field(description="a STIX type (ipv4-addr, indicator…) or relationship type")
    attributes: Annotated[list[Attribute], Field(max_length=200)] = []
    filter: Filter | None = None

    @property
    def is_relationship(self) -> bool:
        return not catalog.is_entity(self.target)

    def attribute(self, key: str) -> Attribute | None:
        return next((a for a in self.attributes if a.key == key), None)


class CsvMapperSpec(Strict):
    """A mapper as users write it (JSON file, API body)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    has_header: bool = False
    separator: str = Field(",", min_length=1, max_length=5, description="',' ';' '|' or ', '")
    quote: str = Field('"', min_length=1, max_length=1)
    skip_line_char: str | None = Field("#", max_length=1, description="comment lines prefix")
    strict_columns: bool = Field(
        True, description="a row whose column count differs from the first row's is an error"
    )
    representations: Annotated[list[Representation], Field(min_length=1, max_length=100)]

    @field_validator("separator")
    @classmethod
    def _separator(cls, value: str) -> str:
        if value[0] in "\r\n" or value[1:].strip(" "):
            raise ValueError("the separator is one character, optionally followed by spaces")
        return value

    @property
    def delimiter(self) -> str:
        return self.separator[0]

    @property
    def skip_initial_space(self) -> bool:
        return len(self.separator) > 1


def column_index(letter: str) -> int:
    """Spreadsheet letters to a 0-based index: A=0 … Z=25, AA=26 … ZZ=701."""
    index = 0
    for char in letter.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def check(spec: CsvMapperSpec) -> None:
    """InvalidInput naming every problem that would make the mapper fail or produce nothing."""
    problems: list[str] = []
    ids = [r.id for r in spec.representations]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        problems.append(f"representation ids used twice: {', '.join(sorted(duplicates))}")
    by_id = {r.id: r for r in spec.representations}
    for rep in spec.representations:
        problems.extend(_check_representation(rep, by_id, spec.has_header))
    if problems:
        raise InvalidInput(f"mapper {spec.name!r} is invalid: " + "; ".join(problems))


def _check_representation(
    rep: Representation, by_id: dict[str, Representation], has_header: bool
) -> list[str]:
    where = f"representation {rep.id!r} ({rep.target})"
    if not catalog.is_entity(rep.target) and not catalog.is_relationship_type(rep.target):
        return [f"{where}: unknown target; use {catalog.known_targets()}"]
    problems = []
    for attribute in rep.attributes:
        problems.extend(_check_attribute(rep, attribute, by_id, has_header, where))
    for requirement in catalog.mandatory(rep.target):
        if not any(_filled(rep.attribute(key)) for key in requirement):
            names = " or ".join(requirement[:4]) + (" …" if len(requirement) > 4 else "")
            problems.append(
                f"{where}: mandatory attribute {names} is not mapped "
                "(give it a column, a based_on or a default)"
            )
    if rep.filter is not None:
        problems.extend(_check_column(rep.filter.column, has_header, f"{where} filter"))
    return problems


def _filled(attribute: Attribute | None) -> bool:
    return attribute is not None and bool(
        attribute.column or attribute.based_on or attribute.defaults
    )


def _check_attribute(
    rep: Representation,
    attribute: Attribute,
    by_id: dict[str, Representation],
    has_header: bool,
    where: str,
) -> list[str]:
    kind = catalog.attribute_kind(rep.target, attribute.key)
    at = f"{where} attribute {attribute.key!r}"
    if kind is None:
        return [f"{at}: {rep.target} has no such attribute"]
    problems = []
    if attribute.column is not None:
        problems.extend(_check_column(attribute.column, has_header, at))
    if attribute.based_on:
        if kind not in (Kind.REF, Kind.REFS):
            problems.append(f"{at}: only references take based_on")
        if kind is Kind.REF and len(attribute.based_on) > 1:
            problems.append(f"{at}: a single-valued reference takes one representation")
        for ref in attribute.based_on:
            target = by_id.get(ref)
            if target is None:
                problems.append(f"{at}: no representation {ref!r}")
            elif ref == rep.id:
                problems.append(f"{at}: a representation cannot reference itself")
            elif any(rep.id in (a.based_on or []) for a in target.attributes):
                problems.append(f"{at}: {ref!r} references {rep.id!r} back (a cycle)")
            elif attribute.key == "based-on" and not catalog.is_observable(target.target):
                problems.append(f"{at}: an indicator is based on observables, not {target.target}")
    if kind is Kind.DATE and attribute.column and attribute.column.separator:
        problems.append(f"{at}: a date takes no multi-value separator")
    problems.extend(_check_default(attribute, kind, at))
    return problems


def _check_default(attribute: Attribute, kind: Kind, at: str) -> list[str]:
    """A default must be a value of the attribute's type (one value, unless it takes a list)."""
    if attribute.default is None:
        return []
    if isinstance(attribute.default, list) and kind not in (Kind.LIST, Kind.REFS):
        return [f"{at}: takes one default value, not a list"]
    if kind not in (Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.DATE):
        return []
    from stixflow.csvmap import values  # values builds on this module's Column

    try:
        values.convert(attribute.defaults[0], kind, attribute.column)
    except ValueError as exc:
        return [f"{at}: default {exc}"]
    return []


def _check_column(column: Column, has_header: bool, at: str) -> list[str]:
    if (column.letter is None) == (column.header is None):
        return [f"{at}: give a column letter or a header name (one of them)"]
    if column.header is not None and not has_header:
        return [f"{at}: header name {column.header!r} needs has_header: true"]
    return []


def representation_problems(spec: CsvMapperSpec) -> dict[str, list[str]]:
    """What ``check`` would say about each representation, by representation id (for forms)."""
    by_id = {r.id: r for r in spec.representations}
    return {
        rep.id: _check_representation(rep, by_id, spec.has_header) for rep in spec.representations
    }


def asks_user_choice(spec: CsvMapperSpec) -> bool:
    """True when a representation's markings are "let the user choose" (a feed then picks them)."""
    return any(
        USER_CHOICE in a.defaults
        for rep in spec.representations
        for a in rep.attributes
        if a.key == "object_marking_refs"
    )
