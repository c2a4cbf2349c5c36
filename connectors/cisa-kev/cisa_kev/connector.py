"""A CISA Known Exploited Vulnerabilities style JSON feed: each entry as a ``vulnerability``
(named by its CVE id, so it is one object with every other source's) with its references (the
CVE, NVD, the catalog and the URLs of its notes), added after the state's ``since``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from stixflow.connector import Connector, ConnectorConfig
from stixflow.connector.fetch import fetch
from stixflow.errors import InvalidInput
from stixflow.stix.ids import standard_id

DEFAULT_SOURCE = (
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
)
CATALOG = "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"
URL = re.compile(r"https?://[^\s;,]+")


class KevConfig(ConnectorConfig):
    source: str = DEFAULT_SOURCE


def author() -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "identity",
        "spec_version": "2.1",
        "name": "CISA",
        "identity_class": "organization",
        "created": "2020-01-01T00:00:00.000Z",
        "modified": "2020-01-01T00:00:00.000Z",
    }
    identity["id"] = standard_id(identity)
    return identity


def references(entry: dict[str, Any]) -> list[dict[str, str]]:
    cve = entry["cveID"]
    found = [
        {"source_name": "cve", "external_id": cve},
        {"source_name": "nvd", "url": f"https://nvd.nist.gov/vuln/detail/{cve}"},
        {"source_name": "cisa-kev", "url": f"{CATALOG}?search={cve}"},
    ]
    found += [
        {"source_name": "cisa-kev-note", "url": url}
        for url in URL.findall(entry.get("notes") or "")
    ]
    return found


def vulnerability(entry: dict[str, Any], author_id: str) -> dict[str, Any]:
    stamp = f"{entry['dateAdded']}T00:00:00.000Z"
    description = " ".join(
        part
        for part in (
            entry.get("vulnerabilityName"),
            entry.get("shortDescription"),
            f"Required action: {entry['requiredAction']}" if entry.get("requiredAction") else "",
            f"Due date: {entry['dueDate']}." if entry.get("dueDate") else "",
        )
        if part
    )
    obj: dict[str, Any] = {
        "type": "vulnerability",
        "spec_version": "2.1",
        "name": entry["cveID"],
        "created": stamp,
        "modified": stamp,
        "description": description,
        "created_by_ref": author_id,
        "external_references": references(entry),
        "labels": [label for label in (entry.get("vendorProject"), entry.get("product")) if label],
        "x_cisa_known_ransomware_campaign_use": entry.get("knownRansomwareCampaignUse", "Unknown"),
    }
    obj["id"] = standard_id(obj)
    return obj


def parse(data: bytes, since: datetime | None) -> tuple[list[dict[str, Any]], str | None]:
    """(objects for entries added after ``since``, the newest ``dateAdded``); a pure function."""
    try:
        catalog = orjson.loads(data)
        entries = [e for e in catalog["vulnerabilities"] if e.get("cveID")]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise InvalidInput(f"not a KEV catalog: {exc}") from exc
    cutoff = since.astimezone(UTC).strftime("%Y-%m-%d") if since else ""
    fresh = [e for e in entries if str(e.get("dateAdded", "")) > cutoff]
    if not fresh:
        return [], None
    identity = author()
    newest = max(str(e["dateAdded"]) for e in fresh)
    return [identity, *(vulnerability(e, identity["id"]) for e in fresh)], f"{newest}T00:00:00Z"


class KevConnector(Connector):
    config: KevConfig

    def process(self, since: datetime | None) -> None:
        objects, newest = parse(
            fetch(self.config.source, timeout=self.config.timeout, policy=self.config.policy), since
        )
        self.send_bundle(objects)
        if newest:
            self.set_state({"since": newest})


def main() -> None:
    KevConnector(KevConfig()).run()  # type: ignore[call-arg]


if __name__ == "__main__":
    main()
