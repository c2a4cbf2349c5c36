"""Scenario "pipeline import": the largest bundle end to end through queue and workers.

On each back-end pair: :func:`bench.importing.import_once` (fresh database, K worker
processes, submit → work complete) against :func:`bench.baseline.run_baseline` (orjson +
raw bulk insert into the same kind of database), best of ``--repeat`` runs each.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from pathlib import Path

import psycopg

from bench.backends import Unavailable, check_available
from bench.baseline import METHODS, BaselineRun, run_baseline
from bench.importing import POLL_SECONDS, ImportRun, Stalled, SubmitError, import_once
from bench.scenarios.base import Options, Row
from bench.workers import WorkerError
from stixflow.errors import StixflowError

NAME = "pipeline-import"
DATA_DIR = Path(
    os.environ.get(
        "STIXFLOW_BENCH_DATA", Path(__file__).resolve().parents[2].parent / "shared/data/stix"
    )
)
FULL_BUNDLE = "mitre-cti-enterprise-attack.json"
QUICK_BUNDLE = "mitre-cti-mobile-attack.json"
#: The issue's target: on SQLite, at least this share of the baseline's objects/s.
TARGET_RATIO = 0.25
TARGET_PAIR = "sqlite-embedded"

log = logging.getLogger("bench")


def bundle_path(quick: bool) -> Path:
    return DATA_DIR / (QUICK_BUNDLE if quick else FULL_BUNDLE)


def run(options: Options) -> list[Row]:
    path = bundle_path(options.quick)
    data = path.read_bytes()
    rows = []
    for pair in options.pairs:
        try:
            check_available(pair)
        except Unavailable as exc:
            rows.append(Row.skipped(_title(path), pair, str(exc)))
            continue
        rows.append(measure(pair, data, options, path=path))
    return rows


def _title(path: Path) -> str:
    """``pipeline import (enterprise-attack)``: the scenario and which bundle it imported."""
    return f"pipeline import ({path.stem.removeprefix('mitre-cti-')})"


def measure(pair: str, data: bytes, options: Options, *, path: Path) -> Row:
    """One row: the best of ``options.repeat`` imports and baselines on ``pair``."""
    title = _title(path)
    profile_dir = options.profile_dir / pair if options.profile_dir is not None else None
    ours: list[ImportRun] = []
    base: list[BaselineRun] = []
    try:
        for attempt in range(options.repeat):
            log.info("%s on %s: run %d/%d", NAME, pair, attempt + 1, options.repeat)
            ours.append(
                import_once(
                    pair,
                    path,
                    workers=options.workers,
                    name=f"bench {path.name}",
                    profile_dir=profile_dir,
                )
            )
            log.info("%s on %s: baseline %d/%d", NAME, pair, attempt + 1, options.repeat)
            base.append(run_baseline(pair, data))
    except Unavailable as exc:
        return Row.skipped(title, pair, str(exc))
    except (WorkerError, Stalled, SubmitError, StixflowError, psycopg.Error, OSError) as exc:
        log.exception("%s on %s failed", NAME, pair)
        return Row(title, pair, note=f"failed: {type(exc).__name__}: {exc}", failed=True)
    return _row(title, pair, ours, base, options=options, path=path)


def _row(
    title: str,
    pair: str,
    ours: list[ImportRun],
    base: list[BaselineRun],
    *,
    options: Options,
    path: Path,
) -> Row:
    best = min(ours, key=lambda run: run.wall_s)
    best_base = min(base, key=lambda run: run.wall_s)
    ratio = best.objects_per_s / best_base.objects_per_s
    counts_ok = all(run.count_ok for run in ours) and all(run.stored == run.objects for run in base)
    target = None
    if pair == TARGET_PAIR:
        met = ratio >= TARGET_RATIO
        target = f"{'met' if met else 'NOT met'} (≥ {TARGET_RATIO:.0%})"
    notes = [] if counts_ok else [_mismatch(ours, base)]
    complaints = sum(run.worker_complaint_count for run in ours)
    if complaints:
        notes.append(f"workers logged {complaints} warning(s)/error(s), see the JSON")
    if not best.submit_peak_exact:
        notes.append("submit peak is the bench process's lifetime peak")
    return Row(
        title,
        pair,
        values={
            "objects": best.objects,
            "wall_s": best.wall_s,
            "objects_per_s": best.objects_per_s,
            "submit_s": best.submit_s,
            "baseline_s": best_base.wall_s,
            "baseline_objects_per_s": best_base.objects_per_s,
            "ratio": ratio,
            "target": target,
            "submit_peak_mib": best.submit_peak_mib,
            "worker_peak_mib": best.worker_peak_mib,
            "stored": best.stored,
            "count_check": "ok" if counts_ok else "MISMATCH",
        },
        note="; ".join(notes),
        failed=not counts_ok,
        details={
            "bundle": str(path),
            "workers": options.workers,
            "repeat": options.repeat,
            "poll_seconds": POLL_SECONDS,
            "baseline_method": METHODS[pair],
            "runs": [asdict(run) for run in ours],
            "baseline_runs": [asdict(run) for run in base],
        },
    )


def _mismatch(ours: list[ImportRun], base: list[BaselineRun]) -> str:
    parts = [
        f"run {i + 1}: parsed {r.objects}, expected {r.expected}, processed {r.processed}, "
        f"failed {r.failed}, stored {r.stored}"
        for i, r in enumerate(ours)
        if not r.count_ok
    ]
    parts += [
        f"baseline {i + 1}: parsed {b.objects}, stored {b.stored}"
        for i, b in enumerate(base)
        if b.stored != b.objects
    ]
    return "count mismatch: " + ", ".join(parts)
