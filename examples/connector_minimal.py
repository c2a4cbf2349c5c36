"""A complete stixflow connector in 30 lines: a list of IPs becomes indicators, once per period.

export STIXFLOW_CONNECTOR_URL=http://127.0.0.1:8080 STIXFLOW_CONNECTOR_TOKEN=sfx_...
export STIXFLOW_CONNECTOR_ID=example-ips STIXFLOW_CONNECTOR_NAME="Example IPs"
export STIXFLOW_CONNECTOR_PERIOD=PT1H STIXFLOW_CONNECTOR_START_DATE=2024-01-01T00:00:00Z
.venv/bin/python examples/connector_minimal.py
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from stixflow.connector import Connector, load_config

FEED = [("2024-03-01T10:00:00Z", "198.51.100.7"), ("2024-03-02T08:30:00Z", "203.0.113.42")]


class ExampleIps(Connector):
    def process(self, since: datetime | None) -> None:
        fresh = [(seen, ip) for seen, ip in FEED if since is None or _at(seen) > since]
        self.send_bundle([indicator(seen, ip) for seen, ip in fresh])
        if fresh:
            self.set_state({"since": max(seen for seen, _ in fresh)})


def indicator(seen: str, ip: str) -> dict[str, object]:
    pattern = f"[ipv4-addr:value = '{ip}']"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, pattern)}",
        "created": seen,
        "modified": seen,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": seen,
    }


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


if __name__ == "__main__":
    ExampleIps(load_config()).run()
