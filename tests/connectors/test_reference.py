"""The SDK's three reference connectors (``connectors/``): parsers on real data offline, then
each run against a live stixflow on loopback, landing its data, keeping its state."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.connector import Connector, ConnectorConfig
from stixflow.connectors.service import ConnectorService
from stixflow.pipeline.works import COMPLETE
from stixflow.runtime import Runtime
from tests.connectors.live import connector_token, live_stixflow

ROOT = Path(__file__).resolve().parents[2]
for package in ("mitre-attack", "urlhaus", "cisa-kev"):
    sys.path.insert(0, str(ROOT / "connectors" / package))

from cisa_kev import connector as kev  # noqa: E402
from mitre_attack import connector as attack  # noqa: E402
from urlhaus import connector as urlhaus  # noqa: E402

KEV_SAMPLE = Path(__file__).parent / "data" / "kev_sample.json"


def test_attack_parser_on_real_bundle(data_dir: Path) -> None:
    data = (data_dir / "stix" / "attack-stix-data-ics-attack-8.0.json").read_bytes()
    objects, newest = attack.parse(data, None)
    assert len(objects) == 683 and newest
    later, _ = attack.parse(data, datetime.fromisoformat(newest.replace("Z", "+00:00")))
    assert later == []


def test_urlhaus_parser_on_real_csv(data_dir: Path) -> None:
    data = (data_dir / "csv" / "urlhaus_csv_recent_2026-03-09.csv").read_bytes()
    assert len(urlhaus.rows(data)) == 19_510
    objects, newest = urlhaus.parse(data, datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    types = {obj["type"] for obj in objects}
    assert types == {"identity", "url", "indicator"} and newest == "2026-03-09T11:10:16Z"
    first = next(obj for obj in objects if obj["type"] == "indicator")
    assert first["pattern"].startswith("[url:value = '") and first["created_by_ref"]


def test_kev_parser() -> None:
    objects, newest = kev.parse(KEV_SAMPLE.read_bytes(), datetime(2022, 1, 1, tzinfo=UTC))
    assert [o["name"] for o in objects[1:]] == ["CVE-2021-45046", "CVE-2023-4966"]
    refs = objects[1]["external_references"]
    assert {"source_name": "cve", "external_id": "CVE-2021-45046"} in refs
    assert any(r.get("url", "").startswith("https://logging.apache.org") for r in refs)
    assert newest == "2023-10-18T00:00:00Z"


CASES = [
    (
        "mitre-attack",
        attack.AttackConnector,
        attack.AttackConfig,
        "stix/attack-stix-data-ics-attack-8.0.json",
        None,
        "attack-pattern",
    ),
    (
        "urlhaus",
        urlhaus.UrlhausConnector,
        urlhaus.UrlhausConfig,
        "csv/urlhaus_csv_recent_2026-03-09.csv",
        "2026-03-09T09:00:00Z",
        "indicator",
    ),
    ("cisa-kev", kev.KevConnector, kev.KevConfig, None, "2020-01-01T00:00:00Z", "vulnerability"),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_reference_connector_lands_its_data(case: tuple, runtime: Runtime, data_dir: Path) -> None:
    name, kind, config_type, source, start, landed_type = case
    with live_stixflow(runtime) as live:
        _, token = connector_token(runtime, name)
        config: ConnectorConfig = config_type(
            url=live.url,
            token=token,
            id=name,
            name=name,
            period="0",
            start_date=start,
            source=str(data_dir / source) if source else str(KEV_SAMPLE),
        )
        connector: Connector = kind(config)
        first = connector.run_once()
        connector.close()
        work = _complete(runtime, first)
        assert work.expected > 0 and work.processed == work.expected, work.errors[:3]
        with runtime.db.read() as tx:
            count = tx.scalar("SELECT COUNT(*) FROM objects WHERE type = ?", (landed_type,))
        assert count > 0
        # a restart keeps the state on the platform: nothing new the second time
        again: Connector = kind(config)
        second = _complete(runtime, again.run_once())
        assert second.expected == 0 and again.get_state() == connector.get_state()
        # a reset on the platform: the running connector's next run starts from the start date
        ConnectorService(runtime, actor=LOCAL_ACTOR).reset(name)
        third = _complete(runtime, again.run_once())
        again.close()
        assert third.expected == work.expected and again.get_state() == connector.get_state()


def _complete(runtime: Runtime, work_id: str, timeout: float = 120.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        work = runtime.works.get(work_id)
        if work is not None and work.status == COMPLETE:
            return work
        time.sleep(0.1)
    raise AssertionError(f"work {work_id}: {runtime.works.get(work_id)}")
