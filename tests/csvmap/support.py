"""Shared by the CSV mapper tests: the mappers a user would write, and plain-csv readings."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from stixflow.csvmap.model import CsvMapperSpec

MAPPERS = Path(__file__).parent / "mappers"


def mapper(name: str) -> CsvMapperSpec:
    return CsvMapperSpec.model_validate(json.loads((MAPPERS / f"{name}.json").read_text()))


def plain_rows(
    path: Path, *, header: bool = False, skipinitialspace: bool = False
) -> list[list[str]]:
    """The data rows as the csv module reads them once '#' lines are dropped: the reference the
    expected counts are computed from, independently of the engine."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#") and line.strip()]
    rows = list(csv.reader(lines, skipinitialspace=skipinitialspace))
    return rows[1:] if header else rows
