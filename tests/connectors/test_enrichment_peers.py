"""OpenCTI's enrichment connectors, unmodified (``tagger``, ``hygiene``, ``scoring-calculator``),
enrich our objects: what they find lands on the object, as a user would see it. And a reset
works for the listening types: a reset enrichment or import connector drops the jobs waiting for
it, and takes the next one.

Jobs come over pycti's HTTP callbacks on the embedded back end and over AMQP on RabbitMQ
(``listen_env``). Before a job reaches the connector's code, pycti reads the entity through
GraphQL (``malware(id)``, ``indicator(id)``, ``stixCyberObservable(id)``…), and the connectors then
call more of OpenCTI's GraphQL API; the tests that need calls this branch does not serve are
marked with them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.bootstrap import ensure_admin
from stixflow.connectors.model import listen_queue
from stixflow.connectors.service import ConnectorService
from stixflow.pipeline.works import COMPLETE, FAILED, PENDING
from stixflow.runtime import Runtime
from stixflow.store.base import Access
from tests.conftest import Pair
from tests.connectors.live import Live, live_stixflow
from tests.connectors.peers import running, wait_for
from tests.connectors.test_listen_peers import listen_env, registered
from tests.support import bundle, malware, relationship, sdo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
#: OpenCTI's extensions, where an observable's labels and score travel
OPENCTI_SCO = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    with live_stixflow(runtime) as server:
        yield server


@pytest.fixture
def http(live: Live) -> Iterator[httpx.Client]:
    """The administrator's client of the live instance."""
    token = ensure_admin(live.runtime.db, live.runtime.settings).token
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live.url, headers=headers, timeout=30) as client:
        yield client


def imported(http: httpx.Client, runtime: Runtime, *objects: dict[str, Any]) -> None:
    """Import objects the way a user does (``POST /api/bundles``) and wait for the work."""
    answer = http.post("/api/bundles", content=orjson.dumps(bundle(*objects)))
    assert answer.status_code == 202, answer.text
    work_id = answer.json()["work_id"]
    wait_for(
        lambda: (w := runtime.works.get(work_id)) is not None and w.status == COMPLETE,
        what="the import",
    )


def enrich(http: httpx.Client, connector_id: str, object_id: str) -> str:
    """Ask for a manual enrichment; the work's id."""
    asked = http.post(f"/api/connectors/{connector_id}/enrich", json={"object_id": object_id})
    assert asked.status_code == 202, asked.text
    return str(asked.json()["work_id"])


def stored(runtime: Runtime, object_id: str) -> dict[str, Any]:
    found = runtime.store.get(object_id, access=Access.everything())
    assert found is not None, object_id
    return found.data


def assert_dropped(runtime: Runtime, work_id: str) -> None:
    """The work of a job the reset dropped: failed with the reason, nothing processed."""
    work = runtime.works.get(work_id)
    assert work is not None and work.status == FAILED, work
    assert work.reason and work.reason.startswith("dropped by a reset"), work
    assert work.processed == work.failed == 0, work


def work_done(runtime: Runtime, work_id: str) -> bool:
    work = runtime.works.get(work_id)
    return work is not None and work.status == COMPLETE


def test_tagger_labels_a_malware_by_its_description(
    pair: Pair, runtime: Runtime, live: Live, http: httpx.Client, tmp_path: Path
) -> None:
    connector_id, env = listen_env(pair, live, "Tagger", "INTERNAL_ENRICHMENT")
    env |= {"CONNECTOR_SCOPE": "Malware", "CONNECTOR_AUTO": "false"}  # its default rules
    windows = malware("Regrun", description="persists through a registry run key")
    other = malware("Plain", description="nothing telling")
    imported(http, runtime, windows, other)
    with running("tagger", env, tmp_path / "tagger.log") as peer:
        wait_for(lambda: registered(runtime, connector_id), peer=peer, what="registration")
        time.sleep(2)  # its listener is up
        works = [enrich(http, connector_id, obj["id"]) for obj in (windows, other)]
        for work_id in works:
            wait_for(lambda w=work_id: work_done(runtime, w), peer=peer, what="the enrichment")
        wait_for(
            lambda: "windows" in (stored(runtime, windows["id"]).get("labels") or []),
            peer=peer,
            what="the label on the malware",
        )
    assert "windows" not in (stored(runtime, other["id"]).get("labels") or [])


def test_hygiene_marks_a_public_resolver_automatically(
    pair: Pair, runtime: Runtime, live: Live, http: httpx.Client, tmp_path: Path
) -> None:
    connector_id, env = listen_env(pair, live, "Hygiene", "INTERNAL_ENRICHMENT")
    env |= {"CONNECTOR_SCOPE": "IPv4-Addr,Domain-Name", "CONNECTOR_AUTO": "true"}
    with running("hygiene", env, tmp_path / "hygiene.log") as peer:
        wait_for(
            lambda: registered(runtime, connector_id),
            timeout=180,  # it loads the MISP warning lists first
            peer=peer,
            what="registration",
        )
        time.sleep(2)
        resolver = {"type": "ipv4-addr", "spec_version": "2.1", "value": "8.8.8.8"}
        resolver["id"] = f"ipv4-addr--{uuid.uuid5(uuid.NAMESPACE_URL, 'hygiene-8.8.8.8')}"
        imported(http, runtime, resolver)  # an observable of its scope: enriched automatically

        def tagged() -> dict[str, Any] | None:
            extension = (stored(runtime, resolver["id"]).get("extensions") or {}).get(OPENCTI_SCO)
            return extension if extension and "hygiene" in (extension.get("labels") or []) else None

        extension = wait_for(tagged, timeout=120, peer=peer, what="the hygiene label")
    assert extension["score"] in (5, 10, 15, 20)


def test_scoring_calculator_raises_the_score_of_an_indicator(
    pair: Pair, runtime: Runtime, live: Live, http: httpx.Client, tmp_path: Path
) -> None:
    connector_id, env = listen_env(pair, live, "Scoring", "INTERNAL_ENRICHMENT")
    env |= {
        "CONNECTOR_SCOPE": "Indicator",
        "CONNECTOR_AUTO": "false",
        "CONNECTOR_SCORING_BROWSE_REPORT": "false",
        "CONNECTOR_SCORING_TOOLBOX_IMPACT_SCORE": "true",
        "CONNECTOR_SCORING_TOOLBOX_HIGH_PRIORITY": "20",
        # its docker-compose's labels (the default is none: nothing would count)
        "CONNECTOR_SCORING_HIGH_PRIORITY_LABELS": '["[Scoring] High priority"]',
        "CONNECTOR_SCORING_INDICATOR_TYPE_ENRICHABLE": "IPv4-Addr",
    }
    family = malware("Emotet", labels=["[Scoring] High priority"])
    indicator = sdo(
        "indicator",
        "Emotet C2",
        pattern="[ipv4-addr:value = '203.0.113.7']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
        x_opencti_score=30,
        x_opencti_main_observable_type="IPv4-Addr",
    )
    imported(
        http, runtime, family, indicator, relationship(indicator["id"], family["id"], "indicates")
    )
    with running("scoring-calculator", env, tmp_path / "scoring.log") as peer:
        wait_for(lambda: registered(runtime, connector_id), peer=peer, what="registration")
        time.sleep(2)
        work_id = enrich(http, connector_id, indicator["id"])
        wait_for(lambda: work_done(runtime, work_id), peer=peer, what="the enrichment")
        # 30 + (100 - 30) x 20 %: a high-priority malware it indicates
        wait_for(
            lambda: stored(runtime, indicator["id"]).get("x_opencti_score") == 44,
            peer=peer,
            what="the new score",
        )


def test_reset_drops_the_enrichment_jobs_waiting_for_a_connector(
    pair: Pair, runtime: Runtime, live: Live, http: httpx.Client, tmp_path: Path
) -> None:
    """Jobs asked while the connector is down wait in its queue; a reset purges them, and the
    connector, started again, takes the next job and never sees the dropped ones."""
    connector_id, env = listen_env(pair, live, "TemplateEnrichment", "INTERNAL_ENRICHMENT")
    env |= {
        "CONNECTOR_SCOPE": "Malware",
        "CONNECTOR_AUTO": "false",
        "TEMPLATE_API_BASE_URL": "http://127.0.0.1:9",
        "TEMPLATE_API_KEY": "unused",
    }
    targets = [malware(f"Sample {n}") for n in range(3)]
    imported(http, runtime, *targets)
    with running("template-enrichment", env, tmp_path / "first.log") as peer:
        wait_for(lambda: registered(runtime, connector_id), peer=peer, what="registration")
    # stopped: jobs wait (on the embedded back end the courier puts them back until it answers)
    dropped = [enrich(http, connector_id, obj["id"]) for obj in targets[:2]]
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    wait_for(lambda: service.reset_preview(connector_id) >= 2, what="the jobs queued")
    assert service.reset(connector_id) >= 2
    # a job the courier held while trying the stopped connector goes when that attempt ends
    wait_for(lambda: runtime.queue.depth(listen_queue(connector_id)) == 0, what="an empty queue")

    with running("template-enrichment", env, tmp_path / "second.log") as peer:
        wait_for(lambda: registered(runtime, connector_id), peer=peer, what="registration")
        time.sleep(2)
        kept = enrich(http, connector_id, targets[2]["id"])
        wait_for(
            lambda: (w := runtime.works.get(kept)) is not None and w.status != PENDING,
            timeout=60,
            peer=peer,
            what="the connector taking the job asked after the reset",
        )
        # the queue is first in, first out: had the dropped jobs survived, they came first
        for work_id in dropped:
            assert_dropped(runtime, work_id)


def test_reset_drops_the_imports_waiting_for_an_import_connector(
    pair: Pair, runtime: Runtime, live: Live, http: httpx.Client, tmp_path: Path
) -> None:
    connector_id, env = listen_env(pair, live, "ImportFileStix", "INTERNAL_IMPORT_FILE")
    env["CONNECTOR_SCOPE"] = "application/json"
    with running("import-file-stix", env, tmp_path / "first.log") as peer:
        wait_for(lambda: registered(runtime, connector_id), peer=peer, what="registration")

    def upload(obj: dict[str, Any]) -> str:
        answer = http.post(
            "/api/files",
            params={"name": f"{obj['name']}.json", "connector": connector_id},
            content=orjson.dumps(bundle(obj)),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 201, answer.text
        (work_id,) = answer.json()["work_ids"]
        return str(work_id)

    dropped_object, kept_object = malware("Dropped"), malware("Kept")
    dropped = upload(dropped_object)
    service = ConnectorService(runtime, actor=LOCAL_ACTOR)
    wait_for(lambda: service.reset_preview(connector_id) >= 1, what="the import queued")
    assert service.reset(connector_id) >= 1

    with running("import-file-stix", env, tmp_path / "second.log") as peer:
        wait_for(lambda: registered(runtime, connector_id), peer=peer, what="registration")
        time.sleep(2)
        kept = upload(kept_object)
        wait_for(lambda: work_done(runtime, kept), timeout=120, peer=peer, what="the import")
    assert runtime.store.get(kept_object["id"], access=Access.everything()) is not None
    assert runtime.store.get(dropped_object["id"], access=Access.everything()) is None
    assert_dropped(runtime, dropped)
