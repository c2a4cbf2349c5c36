"""Files on PostgreSQL: two ``stixflow serve`` processes on one database and one broker, as on
two machines (each its own data directory). A file uploaded on one is listed and served by the
other; an import asked on one is a job any machine serves, and the connector fetches the file
from whichever machine it talks to."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.conftest import Pair
from tests.streams.instances import Instance
from tests.support import bundle, malware

pytestmark = pytest.mark.timeout(180)
IMPORTER = {
    "id": "shared-importer",
    "name": "Shared importer",
    "type": "INTERNAL_IMPORT_FILE",
    "scope": ["application/json"],
}


class Machine(Instance):
    """``stixflow serve`` on the test's back-end pair, with a data directory of its own. Every
    machine has the same name, hence the same administrator token."""

    def __init__(self, folder: Path, pair: Pair) -> None:
        super().__init__("machine", folder)
        self.pair = pair

    def env(self) -> dict[str, str]:
        shared = {k: v for k, v in self.pair.env.items() if k.startswith("STIXFLOW_")}
        return {**super().env(), **shared, "STIXFLOW_DATA_DIR": str(self.folder / "data")}


@pytest.fixture
def machines(pair: Pair, runtime: object, tmp_path: Path) -> Iterator[tuple[Machine, Machine]]:
    if pair.settings.database_url.startswith("sqlite"):
        pytest.skip("an SQLite database lives on one machine: several machines use PostgreSQL")
    first, second = (Machine(tmp_path / name, pair) for name in ("a", "b"))
    for machine in (first, second):
        machine.folder.mkdir()
        machine.start(timeout=60)
    yield first, second
    for machine in (first, second):
        machine.close()


def test_a_file_uploaded_on_one_machine_is_served_by_the_other(
    machines: tuple[Machine, Machine],
) -> None:
    first, second = machines
    content = orjson.dumps(bundle(malware("Emotet", description="x" * 3_000_000)))  # 3 chunks
    uploaded = first.http.post(
        "/api/files",
        params={"name": "big.json", "run": "false"},
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert uploaded.status_code == 201, uploaded.text
    stored = uploaded.json()["file"]
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()

    listed = second.call("GET", "/api/files")
    assert [f["id"] for f in listed] == [stored["id"]]
    served = second.http.get(stored["fetch"])
    assert served.status_code == 200
    assert served.content == content

    # the import is asked on the second machine; the connector talks to the first one
    second.call("POST", "/api/connectors", json=IMPORTER)
    (work_id,) = second.call(
        "POST", f"/api/files/{stored['id']}/import", json={"connector_id": IMPORTER["id"]}
    )
    job = first.http.get(f"/api/connectors/{IMPORTER['id']}/jobs", params={"wait": 10})
    assert job.status_code == 200, job.text
    event = job.json()["event"]
    assert job.json()["internal"]["work_id"] == work_id
    assert (event["file_id"], event["file_mime"]) == (stored["id"], "application/json")
    fetched = first.http.get(event["file_fetch"])
    assert fetched.status_code == 200 and fetched.content == content
