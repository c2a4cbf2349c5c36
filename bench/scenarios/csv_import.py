"""Scenario "CSV import": a 1,000,000-row CSV mapped and queued, beside a plain ``csv`` read.

The file is generated at run time in a temporary directory from the shapes of the real
URLhaus export (``shared/data/csv``): its rows are cycled with a counter written into the URL
and the id so that every row is a new URL. Per back-end pair, in the same run: the plain
``csv`` module reads the file (``baseline_rows_per_s``: tokenising alone), then the URLhaus
mapper of the tests maps it and every chunk is queued as it comes (``rows_per_s``: tokenise,
map, normalise, queue; no worker runs). ``submit_peak_mib`` is the peak resident memory of the
mapping and queueing: it stays flat with the file's size (one chunk of rows at a time).
``--quick`` uses 20,000 rows.
"""

from __future__ import annotations

import csv
import itertools
import logging
import os
import time
from pathlib import Path

from tests.csvmap.support import mapper

from bench.backends import Unavailable, check_available, fresh_settings, scratch_dir
from bench.memory import own_peak_rss_mib, reset_peak
from bench.scenarios.base import Options, Row
from stixflow.access.audit import LOCAL_ACTOR
from stixflow.csvmap.service import MapperService
from stixflow.errors import StixflowError
from stixflow.runtime import open_runtime

NAME = "csv-import"
FULL_ROWS = 1_000_000
QUICK_ROWS = 20_000
SAMPLE = Path(
    os.environ.get(
        "STIXFLOW_BENCH_CSV",
        Path(__file__).resolve().parents[2].parent / "shared/data/csv/"
        "urlhaus_csv_recent_2026-03-09.csv",
    )
)

log = logging.getLogger("bench")


def generate(path: Path, rows: int) -> None:
    """``rows`` URLhaus-shaped rows, each with its own URL, after the export's comment header."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        lines = handle.readlines()
    header = [line for line in lines if line.startswith("#")]
    records = list(csv.reader(line for line in lines if not line.startswith("#")))
    with path.open("w", encoding="utf-8", newline="") as out:
        out.writelines(header)
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for number, record in zip(range(rows), itertools.cycle(records), strict=False):
            url = record[2].rstrip("/") + f"/{number}"
            writer.writerow([str(number), record[1], url, *record[3:]])


def plain_read(path: Path) -> float:
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        count = sum(1 for _ in csv.reader(line for line in handle if not line.startswith("#")))
    assert count > 0
    return time.perf_counter() - started


def run(options: Options) -> list[Row]:
    rows = QUICK_ROWS if options.quick else FULL_ROWS
    title = f"CSV import ({rows:,} URLhaus-shaped rows)"
    out = []
    with scratch_dir() as folder:
        path = folder / "feed.csv"
        generate(path, rows)
        for pair in options.pairs:
            try:
                check_available(pair)
                out.append(measure(title, pair, path, rows))
            except Unavailable as exc:
                out.append(Row.skipped(title, pair, str(exc)))
            except (StixflowError, OSError, AssertionError) as exc:
                log.exception("%s on %s failed", NAME, pair)
                out.append(
                    Row(title, pair, note=f"failed: {type(exc).__name__}: {exc}", failed=True)
                )
    return out


def measure(title: str, pair: str, path: Path, rows: int) -> Row:
    baseline_s = plain_read(path)
    with fresh_settings(pair) as settings:
        runtime = open_runtime(settings)
        try:
            service = MapperService(runtime, actor=LOCAL_ACTOR)
            service.create(mapper("urlhaus"))
            exact = reset_peak()
            started = time.perf_counter()
            with path.open(encoding="utf-8", newline="") as handle:
                done = service.import_lines("URLhaus recent", handle, name=path.name)
            wall_s = time.perf_counter() - started
            peak = own_peak_rss_mib()
        finally:
            runtime.close()
    assert done.rows == rows and done.error_count == 0, (done.rows, done.errors[:3])
    return Row(
        title,
        pair,
        values={
            "rows": rows,
            "objects": done.objects,
            "wall_s": wall_s,
            "rows_per_s": rows / wall_s,
            "baseline_s": baseline_s,
            "baseline_rows_per_s": rows / baseline_s,
            "submit_peak_mib": peak,
        },
        note="" if exact else "peak is the bench process's lifetime peak",
        details={"file_bytes": path.stat().st_size},
    )
