from __future__ import annotations

from fastapi import APIRouter, Depends

from stixflow import __version__
from stixflow.api.deps import get_runtime
from stixflow.api.schemas import Health
from stixflow.runtime import Runtime

router = APIRouter()


@router.get("/health", response_model=Health, tags=["platform"])
def health(runtime: Runtime = Depends(get_runtime)) -> Health:
    with runtime.db.read() as tx:
        tx.scalar("SELECT 1")
    broker = "embedded" if runtime.settings.is_embedded_broker else "rabbitmq"
    return Health(status="ok", database=runtime.db.dialect, broker=broker, version=__version__)
