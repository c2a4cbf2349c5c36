from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from stixflow import __version__
from stixflow.api.deps import get_runtime
from stixflow.api.schemas import Health
from stixflow.runtime import Runtime
from stixflow.runtime_checks import readiness

router = APIRouter()


@router.get("/health", response_model=Health, tags=["platform"])
def health(runtime: Runtime = Depends(get_runtime)) -> Health:
    """Liveness: the process answers and reads its database."""
    with runtime.db.read() as tx:
        tx.scalar("SELECT 1")
    broker = "embedded" if runtime.settings.is_embedded_broker else "rabbitmq"
    return Health(status="ok", database=runtime.db.dialect, broker=broker, version=__version__)


@router.get("/ready", tags=["platform"])
def ready(runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    """Readiness: 200 when the database answers with every migration applied and the broker
    answers; 503 with what is not ready otherwise."""
    checks = readiness(runtime)
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)
