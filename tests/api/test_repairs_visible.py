"""A repaired real object is kept, and the repair shows in the API (work, object) and the web UI."""

from __future__ import annotations

from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from stixflow.runtime import Runtime
from stixflow.web.session import COOKIE
from tests.support import bundle, drain

REVERSED = "relationship--10f2228d-cc68-45e3-bce2-53b1841b01c2"  # modified < created, real data


def test_a_repair_is_noted_on_the_work_and_shown_with_the_object(
    client: TestClient, runtime: Runtime, data_dir: Path
) -> None:
    path = data_dir / "opencti-fixtures/client-python-tests-data/DATA-TEST-STIX2_v2.json"
    original = next(o for o in orjson.loads(path.read_bytes())["objects"] if o["id"] == REVERSED)
    accepted = client.post("/api/bundles", content=orjson.dumps(bundle(original))).json()
    drain(runtime, accepted["work_id"])
    work = client.get(f"/api/works/{accepted['work_id']}").json()
    assert (work["processed"], work["failed"]) == (1, 0)
    notes = [e for e in work["errors"] if e["object_id"] == REVERSED]
    assert len(notes) == 1 and notes[0]["reason"].startswith("repaired: ")
    assert "'modified' was earlier than 'created'" in notes[0]["reason"]
    stored = client.get(f"/api/objects/{REVERSED}").json()["object"]
    assert stored["modified"] == original["created"]
    assert stored["x_stixflow_original"]["modified"] == original["modified"]
    token = client.headers["Authorization"].split()[1]
    page = client.get(
        f"/knowledge/objects/{REVERSED}",
        headers={"Cookie": f"{COOKIE}={token}", "Authorization": ""},
    ).text
    assert "Repaired on import" in page and original["modified"] in page
