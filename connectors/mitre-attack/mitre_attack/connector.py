"""MITRE ATT&CK: the whole bundle the first time (or since the start date), then only objects
modified since the newest ``modified`` seen (kept in the state as ``since``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stixflow.connector import Connector, ConnectorConfig
from stixflow.connector.fetch import fetch
from stixflow.stix.bundle import parse_bundle

DEFAULT_SOURCE = (
    "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/"
    "enterprise-attack/enterprise-attack.json"
)


class AttackConfig(ConnectorConfig):
    source: str = DEFAULT_SOURCE


def parse(data: bytes, since: datetime | None) -> tuple[list[dict[str, Any]], str | None]:
    """(objects modified after ``since``, the newest ``modified``); a pure function."""
    objects = parse_bundle(data)
    newer = [obj for obj in objects if since is None or _moment(obj) > since]
    newest = max(newer, key=_moment, default=None)
    return newer, None if newest is None else str(newest.get("modified") or newest["created"])


def _moment(obj: dict[str, Any]) -> datetime:
    text = str(obj.get("modified") or obj.get("created") or "1970-01-01T00:00:00Z")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class AttackConnector(Connector):
    config: AttackConfig

    def process(self, since: datetime | None) -> None:
        objects, newest = parse(
            fetch(self.config.source, timeout=self.config.timeout, policy=self.config.policy), since
        )
        self.log.info("%s: %d objects since %s", self.config.name, len(objects), since)
        self.send_bundle(objects)
        if newest:
            self.set_state({"since": newest})


def main() -> None:
    AttackConnector(AttackConfig()).run()  # type: ignore[call-arg]


if __name__ == "__main__":
    main()
