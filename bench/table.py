"""The one result table: every scenario's rows, markdown-style, ready to paste into docs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bench.scenarios.base import Row

Format = Callable[[Any], str]


def _count(value: Any) -> str:
    return f"{value:,}"


def _seconds(value: Any) -> str:
    return f"{value:.2f}"


def _rate(value: Any) -> str:
    return f"{value:,.0f}"


def _percent(value: Any) -> str:
    return f"{value:.0%}"


def _mib(value: Any) -> str:
    return f"{value:,.0f}"


#: Column key → (title, format). Keys not listed are titled by themselves, formatted by type.
COLUMNS: dict[str, tuple[str, Format]] = {
    "objects": ("objects", _count),
    "messages": ("messages", _count),
    "messages_per_s": ("messages/s", _rate),
    "tail_s": ("tail s", _seconds),
    "wall_s": ("wall s", _seconds),
    "objects_per_s": ("objects/s", _rate),
    "submit_s": ("submit s", _seconds),
    "baseline_s": ("baseline s", _seconds),
    "baseline_objects_per_s": ("baseline objects/s", _rate),
    "ratio": ("ours/baseline", _percent),
    "target": ("target", str),
    "submit_peak_mib": ("submit peak MiB", _mib),
    "worker_peak_mib": ("worker peak MiB", _mib),
    "stored": ("stored", _count),
    "count_check": ("count check", str),
    "first_slice_per_s": ("first slice objects/s", _rate),
    "last_slice_per_s": ("last slice objects/s", _rate),
    "last_vs_first": ("last/first", _percent),
    "search_p50_ms": ("search p50 ms", _seconds),
    "search_p95_ms": ("search p95 ms", _seconds),
    "like_scan_p50_ms": ("LIKE scan p50 ms", _seconds),
    "list_p50_ms": ("list p50 ms", _seconds),
    "relationships_p95_ms": ("relationships p95 ms", _seconds),
    "taxii_page_p50_ms": ("TAXII page p50 ms", _seconds),
    "db_mib": ("DB MiB", _mib),
    "db_vs_input": ("DB/input", _seconds),
}


def _generic(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return _count(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "—"
    _, fmt = COLUMNS.get(key, (key, _generic))
    return fmt(value).replace("|", "\\|")


def render(rows: Sequence[Row]) -> str:
    """A markdown table: scenario, back end, the union of the rows' value keys, note."""
    keys: list[str] = []
    for row in rows:
        keys += [key for key in row.values if key not in keys]
    titles = ["scenario", "back end", *(COLUMNS.get(key, (key, str))[0] for key in keys), "note"]
    lines = [_line(titles), _line(["---"] * len(titles))]
    for row in rows:
        cells = [_cell(key, row.values.get(key)) if key in row.values else "" for key in keys]
        lines.append(_line([row.scenario, row.backend, *cells, row.note.replace("|", "\\|")]))
    return "\n".join(lines)


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
