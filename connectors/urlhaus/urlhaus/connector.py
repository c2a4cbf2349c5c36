"""abuse.ch URLhaus (``csv_recent``): each URL as a ``url`` observable and an indicator, by
``dateadded`` after the state's ``since`` (or the start date), authored by abuse.ch, TLP:CLEAR."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

from stixflow.connector import Connector, ConnectorConfig
from stixflow.connector.fetch import fetch
from stixflow.stix.ids import standard_id

DEFAULT_SOURCE = "https://urlhaus.abuse.ch/downloads/csv_recent/"
COLUMNS = ("id", "dateadded", "url", "url_status", "last_online", "threat", "tags", "link", "by")
TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


class UrlhausConfig(ConnectorConfig):
    source: str = DEFAULT_SOURCE


def author() -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "identity",
        "spec_version": "2.1",
        "name": "abuse.ch",
        "identity_class": "organization",
        "created": "2020-01-01T00:00:00.000Z",
        "modified": "2020-01-01T00:00:00.000Z",
    }
    identity["id"] = standard_id(identity)
    return identity


def rows(data: bytes) -> list[dict[str, str]]:
    """The CSV rows (the header is a ``#`` comment: columns are fixed)."""
    text = data.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return [
        dict(zip(COLUMNS, row, strict=False)) for row in csv.reader(io.StringIO("\n".join(lines)))
    ]


def map_row(row: dict[str, str], author_id: str) -> list[dict[str, Any]]:
    stamp = row["dateadded"].replace(" ", "T") + ".000Z"
    url = row["url"]
    observable = {"type": "url", "spec_version": "2.1", "value": url}
    observable["id"] = standard_id(observable) or f"url--{_uuid(url)}"
    pattern = "[url:value = '" + url.replace("\\", "\\\\").replace("'", "\\'") + "']"
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{_uuid(pattern)}",
        "created": stamp,
        "modified": stamp,
        "name": url,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": stamp,
        "indicator_types": ["malicious-activity"],
        "labels": [t for t in row.get("tags", "").split(",") if t] or [row["threat"]],
        "created_by_ref": author_id,
        "object_marking_refs": [TLP_CLEAR],
        "external_references": [{"source_name": "urlhaus", "url": row["link"]}],
    }
    return [observable, indicator]


def parse(data: bytes, since: datetime | None) -> tuple[list[dict[str, Any]], str | None]:
    """(objects for rows added after ``since``, the newest ``dateadded``); a pure function."""
    cutoff = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if since else ""
    fresh = [row for row in rows(data) if row.get("dateadded", "") > cutoff and row.get("url")]
    if not fresh:
        return [], None
    identity = author()
    objects = [identity, *(obj for row in fresh for obj in map_row(row, identity["id"]))]
    newest = max(row["dateadded"] for row in fresh)
    return objects, newest.replace(" ", "T") + "Z"


def _uuid(text: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, text))


class UrlhausConnector(Connector):
    config: UrlhausConfig

    def process(self, since: datetime | None) -> None:
        objects, newest = parse(
            fetch(self.config.source, timeout=self.config.timeout, policy=self.config.policy), since
        )
        self.send_bundle(objects)
        if newest:
            self.set_state({"since": newest})


def main() -> None:
    UrlhausConnector(UrlhausConfig()).run()  # type: ignore[call-arg]


if __name__ == "__main__":
    main()
