"""``stixflow connectors list/show`` print the last run the connector reported: a later ping
that reports none (pycti's ping thread sends ``last_run_datetime: null``) does not erase it, and
a pycti connector that keeps ``last_run`` in its state shows that one."""

from __future__ import annotations

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.cli.connectors import _line
from stixflow.connectors.model import ConnectorType
from stixflow.connectors.schemas import ConnectorRegister
from stixflow.connectors.service import ConnectorService
from stixflow.runtime import Runtime

RUN = "2026-12-01T10:00:00.000Z"


def _register(service: ConnectorService, connector_id: str) -> None:
    spec = ConnectorRegister(id=connector_id, name=connector_id, type=ConnectorType.EXTERNAL_IMPORT)
    service.register(spec, user_id=None)


def test_a_null_report_keeps_the_last_run(runtime: Runtime) -> None:
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    _register(service, "pinged")
    service.ping("pinged", state=None, info={"last_run_datetime": RUN})
    service.ping("pinged", state=None, info={"last_run_datetime": None, "buffering": False})
    out = service.out(service.get("pinged"))
    assert out.last_run == RUN
    assert f"last run {RUN}" in _line(out)


def test_last_run_from_a_pycti_state(runtime: Runtime) -> None:
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    _register(service, "stateful")
    service.ping("stateful", state='{"last_run": 1764583200}', info=None)
    out = service.out(service.get("stateful"))
    assert "last run 2025-12-01T10:00:00.000Z" in _line(out)
