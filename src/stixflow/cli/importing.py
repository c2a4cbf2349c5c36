"""``stixflow import FILE|-``: queue a bundle and follow its work with a progress bar."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import click

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.cli.context import runtime_of
from stixflow.csvmap.service import IMPORT_SOURCE, MapperService
from stixflow.errors import StixflowError
from stixflow.pipeline.submit import DEFAULT_SOURCE
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime
from stixflow.stix.bundle import parse_bundle
from stixflow.worker.loop import Worker

NO_PROGRESS_HINT_SECONDS = 10.0


@click.command("import")
@click.argument("path", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--source",
    help="Source recorded on objects (and its queue). [default: import; with --mapper: ImportCSV]",
)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow the work.")
@click.option("--inline", is_flag=True, help="Process the work in this process (no server).")
@click.option("--mapper", help="PATH is a CSV file: map it with this CSV mapper (id or name).")
@click.option("--marking", "markings", multiple=True, help="CSV: a 'user-choice' marking.")
@click.pass_context
def import_(
    ctx: click.Context,
    path: str,
    source: str | None,
    wait: bool,
    inline: bool,
    mapper: str | None,
    markings: tuple[str, ...],
) -> None:
    """Queue a STIX bundle (2.0 or 2.1) from PATH, or stdin with '-'; or, with --mapper, a CSV
    file mapped by a CSV mapper (source ImportCSV unless --source; rows that cannot be mapped
    are listed)."""
    if mapper is not None:
        csv_source = source or IMPORT_SOURCE
        import_csv(
            ctx, path, mapper, markings, wait=wait or inline, inline=inline, source=csv_source
        )
        return
    source = source or DEFAULT_SOURCE
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    objects = parse_bundle(data)
    with runtime_of(ctx) as runtime:
        name = "stdin" if path == "-" else path
        submission = runtime.submitter.open(objects, name=f"import {name}", source=source)
        work = submission.work
        click.echo(f"work {work.id}: queuing {work.expected} objects")
        runtime.submitter.send(submission)
        click.echo(f"work {work.id}: {work.expected} objects queued")
        if inline:
            wait = True
        if wait:
            work = follow(runtime, work, inline=inline)
            click.echo(
                f"work {work.id}: {work.status}, {work.processed} written, {work.failed} failed"
            )
            if work.reason:
                click.echo(f"  {work.reason}", err=True)
            for error in work.errors[:20]:
                click.echo(f"  {error.object_id or '-'}: {error.reason}", err=True)


def import_csv(
    ctx: click.Context,
    path: str,
    mapper: str,
    markings: tuple[str, ...],
    *,
    wait: bool,
    inline: bool,
    source: str = IMPORT_SOURCE,
) -> None:
    """Stream the CSV file through the mapper, chunk by chunk, into one work of ``source``."""
    with runtime_of(ctx) as runtime:
        service = MapperService(runtime, actor=LOCAL_ACTOR)
        try:
            if path == "-":
                done = service.import_lines(
                    mapper, sys.stdin, name="stdin", markings=markings, source=source
                )
            else:
                with open(path, encoding="utf-8-sig", newline="") as handle:
                    done = service.import_lines(
                        mapper, handle, name=path, markings=markings, source=source
                    )
        except StixflowError as exc:
            raise click.ClickException(str(exc)) from exc
        for error in done.errors:
            click.echo(f"  line {error.line}: {error.reason}", err=True)
        click.echo(
            f"{done.rows} rows: {done.objects} objects queued, {done.error_count} rows not mapped"
        )
        work = runtime.works.get(done.work_id) if done.work_id else None
        if work is None:
            return
        click.echo(f"work {work.id}: {work.expected} objects queued")
        if wait:
            work = follow(runtime, work, inline=inline)
            click.echo(
                f"work {work.id}: {work.status}, {work.processed} written, {work.failed} failed"
            )


def follow(runtime: Runtime, work: Work, *, inline: bool) -> Work:
    """Show a progress bar until the work completes (running a worker here if ``inline``)."""
    stop = threading.Event()
    thread = None
    if inline:
        thread = threading.Thread(
            target=Worker(runtime, name="inline").run,
            args=(stop,),
            kwargs={"poll": 0.2},
            daemon=True,
        )
        thread.start()
    started, last_done = time.monotonic(), -1
    current: Work = work
    try:
        with click.progressbar(length=max(1, work.expected), label="importing") as bar:
            while not current.finished:
                time.sleep(0.25)
                current = runtime.works.get(work.id) or current
                bar.update(current.done - max(0, last_done))
                if current.done != last_done:
                    last_done, started = current.done, time.monotonic()
                elif time.monotonic() - started > NO_PROGRESS_HINT_SECONDS:
                    click.echo(
                        "\nno progress: is a worker running? "
                        "(`stixflow serve`, `stixflow worker`, or --inline)",
                        err=True,
                    )
                    started = time.monotonic()
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=30)
    return runtime.works.get(work.id) or current
