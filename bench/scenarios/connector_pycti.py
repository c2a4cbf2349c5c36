"""Scenario "connector (pycti)": objects/s landed from a pycti-based connector through stixflow.

On each back-end pair, in one fresh instance with K worker processes: a pycti connector (pycti
installed from the registry in its own venv) sends a bundle (HTTP ``stixBundlePush`` on the
embedded broker, AMQP with its own broker account on RabbitMQ) and the work it opened is
followed to completion; then the same bundle goes through ``POST /api/bundles``. The ratio is
connector / direct objects/s (pycti splits into one message per object; its splitter also drops
types it does not know, so each side's rate is over its own work's object count).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from bench.backends import Unavailable, check_available, fresh_settings, scratch_dir, worker_env
from bench.importing import Stalled, wait_for_work
from bench.scenarios.base import Options, Row
from bench.workers import WorkerError, WorkerPool
from stixflow.access.bootstrap import ensure_admin
from stixflow.api.app import create_app
from stixflow.errors import StixflowError
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime, open_runtime

NAME = "connector-pycti"
PYCTI_VERSION = "7.261026.0"
ROOT = Path(__file__).resolve().parents[2]
PYCTI_VENV = ROOT / ".venv" / f"pycti-{PYCTI_VERSION}"
DATA = Path(os.environ.get("STIXFLOW_BENCH_DATA", ROOT.parent / "shared/data/stix"))
BUNDLE = "mitre-cti-mobile-attack.json"
CONNECTOR_ID = "bench-pycti-connector"

log = logging.getLogger("bench")


def run(options: Options) -> list[Row]:
    path = DATA / BUNDLE
    title = f"connector via pycti ({path.stem.removeprefix('mitre-cti-')})"
    rows = []
    for pair in options.pairs:
        try:
            check_available(pair)
            python = pycti_python()
            rows.append(measure(pair, path, python, options, title=title))
        except Unavailable as exc:
            rows.append(Row.skipped(title, pair, str(exc)))
        except (WorkerError, Stalled, StixflowError, OSError, httpx.HTTPError) as exc:
            log.exception("%s on %s failed", NAME, pair)
            rows.append(Row(title, pair, note=f"failed: {type(exc).__name__}: {exc}", failed=True))
    return rows


def pycti_python() -> Path:
    """pycti's own venv (shared with the test suite), built on first use."""
    python = PYCTI_VENV / "bin" / "python"
    if (PYCTI_VENV / ".installed").is_file():
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PYCTI_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"pycti=={PYCTI_VERSION}"],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"cannot install pycti=={PYCTI_VERSION}: {exc}") from exc
    (PYCTI_VENV / ".installed").write_text(PYCTI_VERSION)
    return python


def measure(pair: str, path: Path, python: Path, options: Options, *, title: str) -> Row:
    with fresh_settings(pair) as settings, scratch_dir() as logs:
        runtime = open_runtime(settings, run_migrations=False)
        try:
            token = ensure_admin(runtime.db, settings).token or ""
            pool = WorkerPool(options.workers, env=worker_env(settings), log_dir=logs)
            with pool, serving(runtime) as url:
                protocol = "api" if settings.is_embedded_broker else "amqp"
                via, via_s = _through_connector(runtime, python, url, token, path, protocol, pool)
                direct, direct_s = _direct(runtime, url, token, path, pool)
        finally:
            _forget_connector(runtime)
            runtime.close()
    ours, base = via.processed / via_s, direct.processed / direct_s
    return Row(
        title,
        pair,
        values={
            "objects": via.processed,
            "wall_s": via_s,
            "objects_per_s": ours,
            "baseline_objects_per_s": base,
            "ratio": ours / base,
        },
        note=f"pycti over {protocol}; baseline = POST /api/bundles ({direct.processed} objects)",
        failed=via.failed > 0 or via.processed != via.expected,
    )


def _through_connector(
    runtime: Runtime,
    python: Path,
    url: str,
    token: str,
    path: Path,
    protocol: str,
    pool: WorkerPool,
) -> tuple[Work, float]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "OPENCTI_URL": url,
        "OPENCTI_TOKEN": token,
        "CONNECTOR_ID": CONNECTOR_ID,
        "CONNECTOR_NAME": "bench",
        "CONNECTOR_TYPE": "EXTERNAL_IMPORT",
        "CONNECTOR_DURATION_PERIOD": "0",
        "CONNECTOR_LOG_LEVEL": "error",
        "CONNECTOR_QUEUE_PROTOCOL": protocol,
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve().parents[1] / "pycti_push.py"), str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise StixflowError(f"pycti connector failed: {done.stderr[-1000:]}")
    work = wait_for_work(runtime, done.stdout.strip().splitlines()[-1], pool, poll=0.1)
    return work, time.perf_counter() - started


def _direct(
    runtime: Runtime, url: str, token: str, path: Path, pool: WorkerPool
) -> tuple[Work, float]:
    started = time.perf_counter()
    answer = httpx.post(
        f"{url}/api/bundles",
        content=path.read_bytes(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    ).raise_for_status()
    work = wait_for_work(runtime, answer.json()["work_id"], pool, poll=0.1)
    return work, time.perf_counter() - started


@contextmanager
def serving(runtime: Runtime) -> Iterator[str]:
    """The API on a free loopback port, in a thread of this process."""
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def _forget_connector(runtime: Runtime) -> None:
    """On RabbitMQ: drop the connector's exchange and broker account."""
    from stixflow.access.audit import LOCAL_ACTOR
    from stixflow.connectors.service import ConnectorService

    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    for connector in service.records.list():
        service.delete(connector.id)
