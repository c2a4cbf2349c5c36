"""Is this platform ready to serve? Each part checked on its own, with a one-line reason."""

from __future__ import annotations

from stixflow.db.migrations import available
from stixflow.errors import StixflowError
from stixflow.pipeline.submit import DEFAULT_SOURCE
from stixflow.queue.message import queue_name
from stixflow.runtime import Runtime


def readiness(runtime: Runtime) -> dict[str, str]:
    """``{"database": "ok" | reason, "migrations": ..., "broker": ...}``."""
    return {
        "database": _check(lambda: _database(runtime)),
        "migrations": _check(lambda: _migrations(runtime)),
        "broker": _check(lambda: _broker(runtime)),
    }


def _check(probe: object) -> str:
    try:
        reason = probe()  # type: ignore[operator]
    except StixflowError as exc:
        return str(exc)
    return reason or "ok"


def _database(runtime: Runtime) -> str | None:
    with runtime.db.read() as tx:
        tx.scalar("SELECT 1")
    return None


def _migrations(runtime: Runtime) -> str | None:
    wanted = max(version for version, _, _ in available(runtime.db.dialect))
    with runtime.db.read() as tx:
        applied = tx.scalar("SELECT MAX(version) FROM schema_migrations")
    if applied is None or int(applied) < wanted:
        return f"schema at {applied or 0}, this version needs {wanted}: run stixflow migrate"
    return None


def _broker(runtime: Runtime) -> str | None:
    names = runtime.registry.names()
    runtime.queue.depth(names[0] if names else queue_name(DEFAULT_SOURCE))
    return None
