"""The "Verify" of a mapper: map a sample, count, show the first objects, queue nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stixflow.csvmap.engine import NO_MARKINGS, Engine, Markings
from stixflow.csvmap.model import CsvMapperSpec

PREVIEW_OBJECTS = 50
MAX_ERRORS = 100


@dataclass
class RowProblem:
    line: int
    reason: str


@dataclass
class TestResult:
    rows: int = 0
    entities: int = 0
    relationships: int = 0
    objects: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    error_count: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


def test_mapper(
    spec: CsvMapperSpec,
    lines: Iterable[str],
    *,
    markings: Markings = NO_MARKINGS,
    max_rows: int | None = None,
    preview: int = PREVIEW_OBJECTS,
) -> TestResult:
    """Map ``lines`` (at most ``max_rows`` data rows); distinct objects are counted once."""
    result = TestResult()
    seen: set[str] = set()
    engine = Engine(spec, markings=markings)
    for row in engine.rows(lines):
        result.rows += 1
        if row.error is not None:
            result.error_count += 1
            if len(result.errors) < MAX_ERRORS:
                result.errors.append(RowProblem(row.line, row.error))
        for obj in row.objects:
            if obj["id"] in seen:
                continue
            seen.add(obj["id"])
            result.by_type[obj["type"]] = result.by_type.get(obj["type"], 0) + 1
            if obj["type"] in ("relationship", "sighting"):
                result.relationships += 1
            else:
                result.entities += 1
            if len(result.objects) < preview:
                result.objects.append(obj)
        if max_rows is not None and result.rows >= max_rows:
            break
    return result


test_mapper.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
TestResult.__test__ = False  # type: ignore[attr-defined]


def problem_column(spec: CsvMapperSpec, reason: str) -> str | None:
    """The column (letter or header name) a row problem is about, when the reason names a
    representation's attribute ("ip: '1.2.x' is not an IPv4 address" → the column of ip.value)."""
    rep = next(
        (r for r in spec.representations if reason.startswith((f"{r.id}:", f"{r.id}."))), None
    )
    if rep is None:
        return None
    rest = reason[len(rep.id) :]
    if rest.startswith("."):
        key = rest[1:].split(":", 1)[0]
    elif "empty mandatory cell for " in rest:
        key = rest.rsplit("empty mandatory cell for ", 1)[1].strip()
    else:
        key = "pattern" if rep.target == "indicator" else "value"
    attribute = rep.attribute(key)
    if attribute is None or attribute.column is None:
        return None
    return attribute.column.letter or attribute.column.header
