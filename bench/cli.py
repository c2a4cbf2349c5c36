"""``python -m bench``: run the scenarios, print one table, keep the results as JSON."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from bench import machine, profiling, results, table
from bench.scenarios import SCENARIOS, Options, Row
from bench.scenarios.base import PAIRS

#: A 1-minute load average above this (other work running) makes timings unreliable.
BUSY_LOAD = 0.5


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(sorted(SCENARIOS), case_sensitive=False),
    help="Run only this scenario (repeatable).",
)
@click.option(
    "--backend",
    "backends",
    multiple=True,
    type=click.Choice(PAIRS),
    help="Run only on this back-end pair (repeatable).",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes."
)
@click.option(
    "--repeat",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Runs per measurement; the best is reported.",
)
@click.option("--quick", is_flag=True, help="Smaller inputs, for a smoke run.")
@click.option(
    "--scale-objects",
    type=click.IntRange(1000),
    envvar="STIXFLOW_BENCH_SCALE_OBJECTS",
    help="Objects in the 'scale' scenario's store (default 100,000; 1,000,000 for issue 18).",
)
@click.option(
    "--profile",
    is_flag=True,
    help="Profile the submitter and the workers with cProfile (timings are then inflated).",
)
@click.option(
    "--results-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=results.RESULTS_DIR,
    show_default=True,
    help="Where the JSON results (and profiles) are written.",
)
def main(
    only: tuple[str, ...],
    backends: tuple[str, ...],
    workers: int,
    repeat: int,
    quick: bool,
    scale_objects: int | None,
    profile: bool,
    results_dir: Path,
) -> None:
    """Measure stixflow's speed and print one markdown table (see docs/benchmarks.md)."""
    _log_progress()
    stamp = results.timestamp()
    options = Options(
        workers=workers,
        repeat=repeat,
        quick=quick,
        scale_objects=scale_objects,
        pairs=tuple(pair for pair in PAIRS if not backends or pair in backends),
        profile_dir=results_dir / f"profile-{stamp}" if profile else None,
    )
    host = machine.describe()
    click.echo(f"machine: {machine.summary(host)}", err=True)
    if host["load_average"][0] > BUSY_LOAD:
        click.echo("warning: the machine is busy; timings will be noisy", err=True)
    rows: list[Row] = []
    for name in list(SCENARIOS) if not only else [name.lower() for name in only]:
        rows += SCENARIOS[name](options)
    click.echo(table.render(rows))
    meta = {
        "timestamp": stamp,
        "machine": host,
        "options": {
            "only": list(only),
            "backends": list(options.pairs),
            "workers": workers,
            "repeat": repeat,
            "quick": quick,
            "scale_objects": scale_objects,
            "profile": profile,
        },
    }
    meta["load_average_after"] = os.getloadavg()
    path = results.write(rows, meta=meta, directory=results_dir, stamp=stamp)
    click.echo(f"results written to {path}", err=True)
    if options.profile_dir is not None and options.profile_dir.is_dir():
        click.echo("")
        click.echo(profiling.summarise_dir(options.profile_dir))
    if any(row.failed for row in rows):
        sys.exit(1)


def _log_progress() -> None:
    """Progress lines on stderr from the ``bench`` logger only (not from pika and friends)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("bench")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
