"""Where the time goes: a summary of the cProfile files written by ``python -m bench --profile``.

For the submitting process (``submit.prof``) and the workers (``worker-*.prof``, merged, so
cumulative times add up over the workers): the top entries by cumulative time among stixflow's
own functions (leaving out module imports and the ``stixflow.cli`` wrappers, which only
restate the whole run), and the top entries by own time among all functions.
"""

from __future__ import annotations

import pstats
from collections.abc import Sequence
from pathlib import Path

import stixflow

PACKAGE_DIR = str(Path(stixflow.__file__).resolve().parent) + "/"
LIMIT = 10

# pstats keeps, per function (file, line, name): calls, primitive calls, own time, cumulative.
_Key = tuple[str, int, str]


def _label(key: _Key) -> str:
    filename, line, name = key
    if filename.startswith(PACKAGE_DIR):
        filename = "stixflow/" + filename.removeprefix(PACKAGE_DIR)
    elif filename != "~":
        filename = Path(filename).name
    return f"{name} ({filename}:{line})" if filename != "~" else name


def _own(key: _Key) -> bool:
    filename, _, name = key
    return (
        filename.startswith(PACKAGE_DIR)
        and name != "<module>"
        and not filename.startswith(PACKAGE_DIR + "cli/")
    )


def _table(stats: pstats.Stats, *, own_only: bool, by: int, limit: int) -> list[str]:
    entries = stats.stats  # type: ignore[attr-defined]
    keys = [key for key in entries if not own_only or _own(key)]
    keys.sort(key=lambda key: entries[key][by], reverse=True)
    lines = ["| cumulative s | own s | calls | function |", "| ---: | ---: | ---: | --- |"]
    for key in keys[:limit]:
        calls, _, own, cumulative = entries[key][:4]
        lines.append(f"| {cumulative:.2f} | {own:.2f} | {calls:,} | `{_label(key)}` |")
    return lines


def summarise(files: Sequence[Path], *, title: str, limit: int = LIMIT) -> str:
    if not files:
        return f"{title}: no profile written"
    stats = pstats.Stats(*(str(path) for path in files))
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"### {title} ({len(files)} file(s), {total:.2f}s profiled)", ""]
    lines += ["Top stixflow functions by cumulative time:", ""]
    lines += _table(stats, own_only=True, by=3, limit=limit)
    lines += ["", "Top functions by own time (any package):", ""]
    lines += _table(stats, own_only=False, by=2, limit=limit)
    return "\n".join(lines)


def summarise_dir(directory: Path) -> str:
    """The summaries of every pair profiled under ``directory`` (one sub-directory per pair)."""
    parts = []
    for pair_dir in sorted(path for path in directory.iterdir() if path.is_dir()):
        parts.append(
            summarise(sorted(pair_dir.glob("submit.prof")), title=f"{pair_dir.name}: submit")
        )
        parts.append(
            summarise(sorted(pair_dir.glob("worker-*.prof")), title=f"{pair_dir.name}: workers")
        )
    return "\n\n".join(parts)
