"""The registry of scenarios: each is a module whose ``run(options)`` returns result rows.

Adding a row to the benchmark table is adding a module here and one line to ``SCENARIOS``.
"""

from __future__ import annotations

from bench.scenarios import (
    connector_drain,
    connector_mitre,
    connector_pycti,
    csv_import,
    pipeline_import,
    scale,
    sharing,
    taxii_feed,
)
from bench.scenarios.base import Options, Row, Scenario

SCENARIOS: dict[str, Scenario] = {
    pipeline_import.NAME: pipeline_import.run,
    connector_drain.NAME: connector_drain.run,
    connector_mitre.NAME: connector_mitre.run,
    taxii_feed.NAME: taxii_feed.run,
    connector_pycti.NAME: connector_pycti.run,
    sharing.NAME: sharing.run,
    sharing.LATENCY_NAME: sharing.run_latency,
    csv_import.NAME: csv_import.run,
    scale.NAME: scale.run,
}

__all__ = ["SCENARIOS", "Options", "Row", "Scenario"]
