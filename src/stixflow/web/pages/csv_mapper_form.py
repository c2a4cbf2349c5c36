"""The CSV mapper builder's form: HTML fields ⇄ a draft ⇄ ``CsvMapperSpec``.

The builder shows, for each representation, every attribute its target can fill (from
``csvmap.catalog``), each with a column, a date format, a multi-value separator, references to
other representations (``based_on``) and a default. Field names: ``r<i>.id``, ``r<i>.target``,
``r<i>.a.<key>.<part>``, ``r<i>.markings``, ``r<i>.filter.<part>``. Column options the builder
does not show (time zone, clean-up) ride along in ``r<i>.a.<key>.extra`` so an edit keeps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.datastructures import FormData

from stixflow.access.markings import TLP_ORDER
from stixflow.csvmap import catalog
from stixflow.csvmap.catalog import Kind
from stixflow.csvmap.model import (
    USER_CHOICE,
    USER_DEFAULT,
    Column,
    CsvMapperSpec,
    Representation,
    representation_problems,
)

MARKINGS = "object_marking_refs"
_LETTERS = re.compile(r"^[A-Z]{1,2}$")
_REP_FIELD = re.compile(r"^r(\d+)\.id$")
RELATIONSHIP_TYPES = (
    "indicates",
    "related-to",
    "uses",
    "communicates-with",
    "targets",
    "attributed-to",
    "based-on",
    "resolves-to",
    "belongs-to",
    "located-at",
    "hosts",
    "delivers",
    "drops",
    "exploits",
    "variant-of",
)
MARKING_CHOICES = (
    ("", "No markings"),
    (USER_DEFAULT, "Use the default markings of the user"),
    (USER_CHOICE, "Let the user choose markings"),
    *((name, name) for name in TLP_ORDER),
)


@dataclass
class AttributeDraft:
    key: str
    kind: Kind
    column: str = ""
    date_format: str = ""
    separator: str = ""
    based_on: list[str] = field(default_factory=list)
    default: str = ""
    extra: str = ""

    @property
    def takes_refs(self) -> bool:
        return self.kind in (Kind.REF, Kind.REFS)


@dataclass
class RepresentationDraft:
    id: str
    target: str = ""
    attributes: list[AttributeDraft] = field(default_factory=list)
    markings: str = ""
    filter_column: str = ""
    filter_operator: str = "eq"
    filter_value: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def mandatory(self) -> set[str]:
        if not self.target:
            return set()
        return {key for group in catalog.mandatory(self.target) for key in group}


@dataclass
class MapperDraft:
    name: str = ""
    description: str = ""
    separator: str = ","
    quote: str = '"'
    skip_line_char: str = "#"
    has_header: bool = False
    strict_columns: bool = True
    representations: list[RepresentationDraft] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def new_id(self) -> str:
        taken = {rep.id for rep in self.representations}
        return next(f"rep{n}" for n in range(1, len(taken) + 2) if f"rep{n}" not in taken)

    def add_representation(self) -> None:
        self.representations.append(RepresentationDraft(id=self.new_id()))

    def remove_representation(self, index: int) -> None:
        if 0 <= index < len(self.representations):
            del self.representations[index]


def target_groups() -> list[tuple[str, list[str]]]:
    return [
        ("Entities", sorted(catalog.SDOS)),
        ("Observables", sorted(catalog.SCOS)),
        ("Relationships", list(RELATIONSHIP_TYPES)),
    ]


# -- form → draft ---------------------------------------------------------------------------


def draft_from_form(form: FormData) -> MapperDraft:
    text = _texts(form)
    draft = MapperDraft(
        name=text.get("name", ""),
        description=text.get("description", ""),
        separator=_separator(form.get("separator")),
        quote=text.get("quote", '"'),
        skip_line_char=text.get("skip_line_char", ""),
        has_header="has_header" in text,
        strict_columns="strict_columns" in text,
    )
    for key in form:
        match = _REP_FIELD.match(key)
        if match:
            draft.representations.append(_representation_from_form(form, match.group(1)))
    return draft


def _texts(form: FormData) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and v.strip()}


def _separator(value: Any) -> str:
    """The separator as typed: ``\\t`` means a tab; spaces after the character are kept."""
    text = value if isinstance(value, str) else ""
    text = text.replace("\\t", "\t").rstrip("\r\n")
    return text if text.strip(" ") else ","


def _representation_from_form(form: FormData, index: str) -> RepresentationDraft:
    prefix = f"r{index}."

    def get(name: str) -> str:
        value = form.get(prefix + name)
        return value.strip() if isinstance(value, str) else ""

    rep = RepresentationDraft(
        id=get("id"),
        target=get("target"),
        markings=get("markings"),
        filter_column=get("filter.column"),
        filter_operator=get("filter.operator") or "eq",
        filter_value=get("filter.value"),
    )
    if rep.target:
        for key, kind in catalog.attributes_of(rep.target).items():
            if key == MARKINGS:
                continue
            at = f"a.{key}."
            rep.attributes.append(
                AttributeDraft(
                    key=key,
                    kind=kind,
                    column=get(at + "column"),
                    date_format=get(at + "date_format"),
                    separator=get(at + "separator"),
                    based_on=[v for v in form.getlist(prefix + at + "based_on") if v],
                    default=get(at + "default"),
                    extra=get(at + "extra"),
                )
            )
    return rep


# -- spec → draft ---------------------------------------------------------------------------


def draft_from_spec(spec: CsvMapperSpec, *, name: str | None = None) -> MapperDraft:
    draft = MapperDraft(
        name=spec.name if name is None else name,
        description=spec.description,
        separator=spec.separator,
        quote=spec.quote,
        skip_line_char=spec.skip_line_char or "",
        has_header=spec.has_header,
        strict_columns=spec.strict_columns,
    )
    draft.representations = [_representation_from_spec(rep) for rep in spec.representations]
    return draft


def _representation_from_spec(rep: Representation) -> RepresentationDraft:
    draft = RepresentationDraft(id=rep.id, target=rep.target)
    marking = rep.attribute(MARKINGS)
    draft.markings = ",".join(marking.defaults) if marking else ""
    if rep.filter is not None:
        draft.filter_column = _column_text(rep.filter.column)
        draft.filter_operator = rep.filter.operator
        draft.filter_value = rep.filter.value
    for key, kind in catalog.attributes_of(rep.target).items():
        if key == MARKINGS:
            continue
        found = rep.attribute(key)
        attribute = AttributeDraft(key=key, kind=kind)
        if found is not None:
            column = found.column
            attribute.column = _column_text(column) if column else ""
            attribute.date_format = (column.date_format or "") if column else ""
            attribute.separator = (column.separator or "") if column else ""
            attribute.based_on = list(found.based_on or [])
            attribute.default = ", ".join(found.defaults)
            attribute.extra = _extra(column)
        draft.attributes.append(attribute)
    return draft


def _column_text(column: Column) -> str:
    return column.letter or column.header or ""


def _extra(column: Column | None) -> str:
    if column is None:
        return ""
    kept = column.model_dump(include={"timezone", "transform"}, exclude_defaults=True)
    return orjson.dumps(kept).decode() if kept else ""


# -- draft → spec ---------------------------------------------------------------------------


def spec_from_draft(draft: MapperDraft) -> CsvMapperSpec | None:
    """The spec, or None with the problems written into the draft (per field, per block).

    Representations are checked even when a mapper-level field (the name…) is wrong, so one
    Save shows every problem."""
    for rep in draft.representations:
        if not rep.target:
            rep.problems.append("choose an entity type or a relationship type")
    body = {
        "name": draft.name,
        "description": draft.description,
        "has_header": draft.has_header,
        "separator": draft.separator,
        "quote": draft.quote or '"',
        "skip_line_char": draft.skip_line_char or None,
        "strict_columns": draft.strict_columns,
        "representations": [_representation_body(rep) for rep in draft.representations],
    }
    spec: CsvMapperSpec | None = None
    try:
        spec = CsvMapperSpec.model_validate(body)
    except ValidationError as exc:
        _place_errors(draft, exc)
    representations = _valid_representations(draft, body["representations"])
    if representations is not None:
        _check_blocks(draft, representations)
    if any(rep.problems for rep in draft.representations) or draft.errors:
        return None
    return spec


def _valid_representations(
    draft: MapperDraft, bodies: list[dict[str, Any]]
) -> list[Representation] | None:
    """Each block as a model when none has a field-level error (already placed)."""
    if any(rep.problems for rep in draft.representations):
        return None
    try:
        return [Representation.model_validate(body) for body in bodies]
    except ValidationError:
        return None


def _check_blocks(draft: MapperDraft, representations: list[Representation]) -> None:
    """The save-time checks (mandatory attributes, references), beside each block."""
    whole = CsvMapperSpec.model_construct(
        has_header=draft.has_header, representations=representations
    )
    found = representation_problems(whole)
    for rep in draft.representations:
        prefix = f"representation {rep.id!r} ({rep.target})"
        rep.problems.extend(p.removeprefix(prefix).lstrip(" :") for p in found.get(rep.id, []))
    ids = [rep.id for rep in draft.representations]
    if len(set(ids)) != len(ids):
        draft.errors["representations"] = "two representations have the same id"


def _representation_body(rep: RepresentationDraft) -> dict[str, Any]:
    attributes = [body for a in rep.attributes if (body := _attribute_body(a))]
    if rep.markings:
        defaults = [m.strip() for m in rep.markings.split(",") if m.strip()]
        attributes.append({"key": MARKINGS, "default": defaults})
    body: dict[str, Any] = {"id": rep.id, "target": rep.target or "?", "attributes": attributes}
    if rep.filter_column:
        body["filter"] = {
            "column": _column_ref(rep.filter_column),
            "operator": "not_eq" if rep.filter_operator == "not_eq" else "eq",
            "value": rep.filter_value,
        }
    return body


def _attribute_body(attribute: AttributeDraft) -> dict[str, Any] | None:
    body: dict[str, Any] = {"key": attribute.key}
    if attribute.column:
        column: dict[str, Any] = _column_ref(attribute.column)
        if attribute.extra:
            column.update(orjson.loads(attribute.extra))
        if attribute.date_format:
            column["date_format"] = attribute.date_format
        if attribute.separator:
            column["separator"] = attribute.separator
        body["column"] = column
    if attribute.based_on:
        body["based_on"] = attribute.based_on
    if attribute.default:
        many = attribute.kind in (Kind.LIST, Kind.REFS)
        parts = [p.strip() for p in attribute.default.split(",") if p.strip()]
        body["default"] = parts if many else attribute.default
    return body if len(body) > 1 else None


def _column_ref(text: str) -> dict[str, Any]:
    """``B`` or ``AB`` (capitals) is a column letter; anything else a header name."""
    return {"letter": text} if _LETTERS.match(text) else {"header": text}


def _place_errors(draft: MapperDraft, exc: ValidationError) -> None:
    for error in exc.errors():
        loc = error.get("loc", ())
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "representations" and isinstance(loc[1], int):
            rep = draft.representations[loc[1]]
            where = _attribute_where(rep, loc[2:])
            rep.problems.append(f"{where}{message}")
        else:
            draft.errors.setdefault(str(loc[0]) if loc else "form", message)


def _attribute_where(rep: RepresentationDraft, loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "attributes" and isinstance(loc[1], int):
        filled = [a for a in rep.attributes if _attribute_body(a)]
        if loc[1] < len(filled):
            return f"{filled[loc[1]].key}: "
    return f"{loc[0]}: " if loc else ""
