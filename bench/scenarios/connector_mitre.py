"""Scenario "connector end to end": the real MITRE ATT&CK connector (OpenCTI's, unchanged, from
``../shared/peers/opencti-connectors/external-import/mitre``, in its own venv with pycti and
connectors-sdk) run once against ``serve`` until the work it opened is complete.

On each back-end pair, in a fresh instance with K worker processes: the four MITRE files are
served from loopback (``--quick``: the mobile file under all four names), the connector runs with
``CONNECTOR_RUN_AND_TERMINATE`` (HTTP ``stixBundlePush`` on the embedded broker, AMQP on
RabbitMQ). **The clock** runs from the connector's start to its work complete. ``tail s`` is
the time from pycti's ``toProcessed`` (sent right after its last publish) to the work complete:
the issue's target is at most 2 s.
"""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench.backends import Unavailable, check_available, fresh_settings, scratch_dir, worker_env
from bench.importing import Stalled, wait_for_work
from bench.scenarios.base import Options, Row
from bench.scenarios.connector_drain import FILES
from bench.scenarios.connector_pycti import serving
from bench.scenarios.pipeline_import import DATA_DIR
from bench.workers import WorkerError, WorkerPool
from stixflow.access.bootstrap import ensure_admin
from stixflow.errors import StixflowError
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime, open_runtime

NAME = "connector-mitre"
ROOT = Path(__file__).resolve().parents[2]
CONNECTOR_DIR = ROOT.parent / "shared/peers/opencti-connectors/external-import/mitre"
SDK_DIR = ROOT.parent / "shared/peers/opencti-connectors/connectors-sdk"
VENV = ROOT / ".venv" / "mitre-connector"
URL_SETTINGS = (
    "MITRE_ENTERPRISE_FILE_URL",
    "MITRE_MOBILE_ATTACK_FILE_URL",
    "MITRE_ICS_ATTACK_FILE_URL",
    "MITRE_CAPEC_FILE_URL",
)
TARGET_TAIL_S = 2.0

log = logging.getLogger("bench")


def run(options: Options) -> list[Row]:
    title = "connector end to end (MITRE connector" + (", quick)" if options.quick else ")")
    rows = []
    for pair in options.pairs:
        try:
            check_available(pair)
            rows.append(measure(pair, connector_python(), options, title=title))
        except Unavailable as exc:
            rows.append(Row.skipped(title, pair, str(exc)))
        except (WorkerError, Stalled, StixflowError, OSError, httpx.HTTPError) as exc:
            log.exception("%s on %s failed", NAME, pair)
            rows.append(Row(title, pair, note=f"failed: {type(exc).__name__}: {exc}", failed=True))
    return rows


def connector_python() -> Path:
    """The connector's venv: connectors-sdk from the shared copy (it pins its pycti)."""
    python = VENV / "bin" / "python"
    if (VENV / ".installed").is_file():
        return python
    if not CONNECTOR_DIR.is_dir() or not SDK_DIR.is_dir():
        raise Unavailable(f"no MITRE connector or connectors-sdk under {CONNECTOR_DIR.parent}")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", str(SDK_DIR), "pydantic-settings==2.9.1"],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"cannot install the MITRE connector's requirements: {exc}") from exc
    (VENV / ".installed").write_text("ok")
    return python


def measure(pair: str, python: Path, options: Options, *, title: str) -> Row:
    names = ["mitre-cti-mobile-attack.json"] * 4 if options.quick else list(FILES)
    with fresh_settings(pair) as settings, scratch_dir() as logs:
        runtime = open_runtime(settings, run_migrations=False)
        try:
            token = ensure_admin(runtime.db, settings).token or ""
            pool = WorkerPool(options.workers, env=worker_env(settings), log_dir=logs)
            with pool, serving(runtime) as url, files_served() as files_url:
                protocol = "api" if settings.is_embedded_broker else "amqp"
                env = _env(url, token, protocol, [f"{files_url}/{name}" for name in names])
                log.info("%s on %s: the connector runs", NAME, pair)
                started = time.perf_counter()
                work = _run_connector(runtime, python, env, logs, pool)
                wall_s = time.perf_counter() - started
                tail_s = _tail(runtime, work.id)
        finally:
            _forget_connectors(runtime)
            runtime.close()
    return Row(
        title,
        pair,
        values={
            "objects": work.processed,
            "wall_s": wall_s,
            "objects_per_s": work.processed / wall_s,
            "tail_s": tail_s,
            "target": "met" if tail_s <= TARGET_TAIL_S else "not met",
        },
        note=f"pycti over {protocol}, {options.workers} workers; tail = toProcessed → complete",
        failed=work.failed > 0 or work.processed != work.expected,
    )


def _env(url: str, token: str, protocol: str, file_urls: list[str]) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENCTI_URL": url,
        "OPENCTI_TOKEN": token,
        "CONNECTOR_ID": str(uuid.uuid4()),
        "CONNECTOR_LOG_LEVEL": "error",
        "CONNECTOR_QUEUE_PROTOCOL": protocol,
        "CONNECTOR_RUN_AND_TERMINATE": "true",
        **dict(zip(URL_SETTINGS, file_urls, strict=True)),
    }


def _run_connector(
    runtime: Runtime, python: Path, env: dict[str, str], logs: Path, pool: WorkerPool
) -> Work:
    with (logs / "connector.log").open("wb") as stream:
        done = subprocess.run(
            [str(python), "-m", "src"],
            cwd=CONNECTOR_DIR,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            timeout=1800,
            check=False,
        )
    tail = (logs / "connector.log").read_text(errors="replace")[-1500:]
    if done.returncode != 0:
        raise StixflowError(f"the MITRE connector exited with {done.returncode}: {tail}")
    works = runtime.works.list(source=env["CONNECTOR_ID"], limit=1)
    if not works:
        raise StixflowError(f"the MITRE connector opened no work: {tail}")
    return wait_for_work(runtime, works[0].id, pool, poll=0.05)


def _tail(runtime: Runtime, work_id: str) -> float:
    with runtime.db.read() as tx:
        row = tx.fetchone("SELECT processed_at, completed_at FROM works WHERE id = ?", (work_id,))
    if row is None or None in row:
        raise StixflowError(f"work {work_id} has no processed or completed time")
    processed, completed = (datetime.fromisoformat(str(v).replace("Z", "+00:00")) for v in row)
    return max(0.0, (completed - processed).total_seconds())


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr."""


@contextmanager
def files_served() -> Iterator[str]:
    """``DATA_DIR`` over HTTP on a free loopback port."""
    handler = functools.partial(_Quiet, directory=str(DATA_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _forget_connectors(runtime: Runtime) -> None:
    """On RabbitMQ: drop the connector's exchange and broker account."""
    from stixflow.access.audit import LOCAL_ACTOR
    from stixflow.connectors.service import ConnectorService

    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    for connector in service.records.list():
        service.delete(connector.id)
