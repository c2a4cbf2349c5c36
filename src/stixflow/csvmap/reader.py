"""CSV tokenising for mappers: comment lines, the header, quoted fields, row numbers.

Rows are read lazily from any iterable of text lines (a file object streams a file of any size
in bounded memory). Lines starting with the mapper's comment character are skipped wherever
they are (the abuse.ch exports put their header and an ``# END`` trailer in comments); blank
lines are skipped; with ``has_header`` the first remaining record is the header. Each row keeps
the number of the file line it starts on, so errors can point at it. A row whose column count
differs from the header's (or, without a header, from the first row's) is reported, not mapped,
when the mapper's ``strict_columns`` is on.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from stixflow.csvmap.model import CsvMapperSpec

#: A cell larger than this is refused by the csv module (a runaway quote swallowing the file).
FIELD_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class Record:
    line: int  # 1-based number of the file line the record starts on
    cells: list[str]
    problem: str | None = None

    @property
    def key(self) -> str:
        """A stable fingerprint of the record's content (what a feed remembers as seen)."""
        return hashlib.sha256("\x1f".join(self.cells).encode("utf-8", "replace")).hexdigest()


class _Lines:
    """Non-comment lines of a text, remembering the number of the first one handed out."""

    def __init__(self, lines: Iterable[str], comment: str | None) -> None:
        self.lines = lines
        self.comment = comment
        self.first: int | None = None

    def __iter__(self) -> Iterator[str]:
        for number, line in enumerate(self.lines, start=1):
            if self.comment and line.startswith(self.comment):
                continue
            if self.first is None:
                self.first = number
            yield line


class CsvReader:
    """The records of a CSV text as a mapper reads it; ``header`` once the header is read."""

    def __init__(self, spec: CsvMapperSpec, lines: Iterable[str]) -> None:
        self.spec = spec
        self._lines = _Lines(lines, spec.skip_line_char or None)
        csv.field_size_limit(FIELD_LIMIT)
        self._reader = csv.reader(
            self._lines,
            delimiter=spec.delimiter,
            quotechar=spec.quote,
            skipinitialspace=spec.skip_initial_space,
            strict=False,
        )
        self.header: list[str] | None = None
        self.width: int | None = None

    def __iter__(self) -> Iterator[Record]:
        while True:
            self._lines.first = None
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Record(self._lines.first or 0, [], f"unreadable CSV: {exc}")
                continue
            line = self._lines.first or 0
            if not cells or all(not cell.strip() for cell in cells):
                continue
            if self.spec.has_header and self.header is None:
                self.header = [cell.strip() for cell in cells]
                self.width = len(cells)
                continue
            if self.width is None:
                self.width = len(cells)
            elif self.spec.strict_columns and len(cells) != self.width:
                yield Record(line, cells, f"{len(cells)} columns where {self.width} are expected")
                continue
            yield Record(line, cells)


def content_hash(lines: Iterable[str], comment: str | None) -> str:
    """SHA-256 of a text's non-empty, non-comment lines (what "the file is unchanged" means)."""
    digest = hashlib.sha256()
    for line in lines:
        stripped = line.rstrip("\r\n")
        if not stripped.strip() or (comment and stripped.startswith(comment)):
            continue
        digest.update(stripped.encode("utf-8", "replace") + b"\n")
    return digest.hexdigest()
