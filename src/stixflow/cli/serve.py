"""``stixflow serve`` (API + workers), ``stixflow worker`` and ``stixflow migrate``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from contextlib import ExitStack
from types import FrameType

import click
import uvicorn

from stixflow.access.bootstrap import ensure_admin
from stixflow.api.app import create_app
from stixflow.cli.context import runtime_of, settings_of
from stixflow.connectors.callbacks import CallbackCourier
from stixflow.connectors.enrichment import EnrichmentDispatcher
from stixflow.db import location, open_database
from stixflow.db.migrations import migrate as run_migrations
from stixflow.ingest.manager import IngestionManager
from stixflow.pipeline.reaper import WorkReaper
from stixflow.store.pruner import EventPruner
from stixflow.streams.sync.manager import SyncManager
from stixflow.worker.loop import Worker


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Create or upgrade the database schema."""
    settings = settings_of(ctx)
    location.prepare(settings)
    db = open_database(settings.database_url)
    try:
        applied = run_migrations(db)
    finally:
        db.close()
    click.echo(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


@click.command()
@click.option("--name", default="worker", help="Name used in logs.")
@click.option(
    "--parent-pid",
    type=int,
    default=None,
    hidden=True,
    help="Stop when this process (the `serve` that started the worker) is gone.",
)
@click.pass_context
def worker(ctx: click.Context, name: str, parent_pid: int | None) -> None:
    """Consume queued bundles and write them to the store until stopped (SIGTERM/SIGINT)."""
    stop = threading.Event()
    _stop_on_signals(stop)
    if parent_pid is not None:
        _stop_when_orphaned(stop, parent_pid)
    with runtime_of(ctx) as runtime:
        Worker(runtime, name=name).run(stop)


@click.command()
@click.option("--host", default=None, help="Listen address (default: settings http_host).")
@click.option("--port", type=int, default=None, help="Listen port (default: settings http_port).")
@click.option(
    "--workers",
    "worker_count",
    type=int,
    default=None,
    help="Worker processes to start (default: settings workers).",
)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, worker_count: int | None) -> None:
    """Run the platform: HTTP API, worker processes, the ingestion manager and the work reaper."""
    settings = settings_of(ctx)
    host = host or settings.http_host
    port = settings.http_port if port is None else port
    worker_count = settings.workers if worker_count is None else worker_count
    with runtime_of(ctx, create=True) as runtime, ExitStack() as running:
        admin = ensure_admin(runtime.db, settings)
        _announce(host, port, admin.email, admin.token, admin.created)
        # each part is stopped at exit (in reverse order), even when stopping another one fails
        supervisor = WorkerSupervisor(worker_count)
        supervisor.start()
        running.callback(supervisor.stop)
        parts = (
            IngestionManager(runtime),
            EnrichmentDispatcher(runtime),
            CallbackCourier(runtime),
            SyncManager(runtime),
            WorkReaper(runtime),
            EventPruner(runtime),
        )
        for part in parts:
            part.start()
            running.callback(part.stop)
        # live streams never end by themselves: give their connections 5 s at shutdown
        uvicorn.run(
            create_app(runtime),
            host=host,
            port=port,
            log_level="info",
            timeout_graceful_shutdown=5,
        )


def _announce(host: str, port: int, email: str, token: str | None, created: bool) -> None:
    click.echo(f"stixflow is listening on http://{host}:{port}  (API docs: /api/docs)")
    click.echo(f"web UI: http://{host}:{port}/  (sign in with the admin token or email + password)")
    click.echo(f"admin: {email}")
    if token and created:
        click.echo(f"admin token (shown once, keep it): {token}")
    elif token:
        click.echo("admin token: the one set in STIXFLOW_ADMIN_TOKEN")
    else:
        click.echo(
            "admin token: shown at first start only; make a new one with "
            f"`stixflow users token create {email}` (or set STIXFLOW_ADMIN_TOKEN)"
        )


class WorkerSupervisor:
    """Keeps ``count`` ``stixflow worker`` processes alive; restarts one that dies."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        command = [
            *(sys.executable, "-m", "stixflow", "worker"),
            *("--name", f"worker-{index}", "--parent-pid", str(os.getpid())),
        ]
        return subprocess.Popen(command)

    def start(self) -> None:
        self.processes = [self._spawn(i) for i in range(self.count)]
        if self.count:
            self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(2.0):
            for index, process in enumerate(self.processes):
                # exit code 0: the worker was asked to stop (a signal to the process group)
                if process.poll() not in (None, 0) and not self._stop.is_set():
                    click.echo(
                        f"worker-{index} exited ({process.returncode}); restarting", err=True
                    )
                    self.processes[index] = self._spawn(index)

    def stop(self) -> None:
        self._stop.set()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _stop_when_orphaned(stop: threading.Event, parent: int, *, every: float = 1.0) -> None:
    """Set ``stop`` once ``parent`` is no longer this process's parent (it died, and this
    process was re-parented), including when that happened before this process got here."""

    def watch() -> None:
        while os.getppid() == parent and not stop.wait(every):
            pass
        stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
