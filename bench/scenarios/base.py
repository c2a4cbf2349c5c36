"""What every scenario shares: the run options it receives and the rows it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The back-end pairs, in the order rows are printed (the same names as the test suite's).
PAIRS = ("sqlite-embedded", "postgres-rabbitmq")


@dataclass(frozen=True)
class Options:
    """One ``python -m bench`` invocation's choices, passed to every scenario."""

    workers: int = 2
    repeat: int = 1
    quick: bool = False
    pairs: tuple[str, ...] = PAIRS
    profile_dir: Path | None = None
    scale_objects: int | None = None  # the "scale" scenario's store size (None: its default)


@dataclass
class Row:
    """One line of the result table.

    ``values`` maps a column key to a number, text, boolean or None; :mod:`bench.table`
    knows how to title and format the keys it has seen, and falls back to the key itself.
    ``note`` says why a row was skipped or failed, or anything else worth a remark.
    ``failed`` marks a row whose measurement went wrong (the exit status becomes 1).
    """

    scenario: str
    backend: str
    values: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    failed: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def skipped(cls, scenario: str, backend: str, reason: str) -> Row:
        return cls(scenario, backend, note=f"skipped: {reason}")


Scenario = Callable[[Options], list[Row]]
