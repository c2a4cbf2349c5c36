"""Helpers for tests: run a worker in-process until the work is done, build small STIX objects."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from stixflow.pipeline.works import COMPLETE, Work
from stixflow.runtime import Runtime
from stixflow.worker.loop import Worker

#: The suite's peers (feed servers, medallion, other stixflow instances) listen on loopback,
#: which the outbound policy refuses by default: test settings and environments allow it.
LOOPBACK = ["127.0.0.0/8", "::1"]
LOOPBACK_JSON = json.dumps(LOOPBACK)

TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"


def drain(runtime: Runtime, work: Work | str, *, timeout: float = 120.0) -> Work:
    """Process messages in this thread until ``work`` completes; fail after ``timeout``."""
    work_id = work if isinstance(work, str) else work.id
    worker = Worker(runtime, name="test")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = runtime.works.get(work_id)
        assert current is not None
        if current.status == COMPLETE:
            return current
        worker.run_once(timeout=0.2)
    raise AssertionError(f"work {work_id} did not complete within {timeout}s: {current}")


def sdo(object_type: str, name: str, **props: Any) -> dict[str, Any]:
    stamp = props.pop("modified", "2024-01-01T00:00:00.000Z")
    return {
        "type": object_type,
        "spec_version": "2.1",
        "id": props.pop("id", f"{object_type}--{uuid.uuid4()}"),
        "created": props.pop("created", "2024-01-01T00:00:00.000Z"),
        "modified": stamp,
        "name": name,
        **props,
    }


def malware(name: str, **props: Any) -> dict[str, Any]:
    return sdo("malware", name, is_family=props.pop("is_family", True), **props)


def relationship(source: str, target: str, kind: str = "uses", **props: Any) -> dict[str, Any]:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": props.pop("id", f"relationship--{uuid.uuid4()}"),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": props.pop("modified", "2024-01-01T00:00:00.000Z"),
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target,
        **props,
    }


def bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}
