"""``stixflow backup`` and ``stixflow restore`` (embedded back end): a backup taken while ATT&CK is
being imported, restored elsewhere, holds every acknowledged object, and its queue finishes the
import to exactly the store the original reached."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from stixflow.config import Settings, load_settings
from stixflow.db.backup import backup
from stixflow.pipeline.works import COMPLETE
from stixflow.runtime import Runtime, open_runtime
from stixflow.stix.bundle import parse_bundle
from stixflow.worker.heartbeat import HeartbeatWriter
from stixflow.worker.loop import Worker
from tests.conftest import TEST_SECRET_KEY
from tests.support import drain


def settings_at(path: Path) -> Settings:
    return load_settings(
        database_url=f"sqlite:///{path}",
        secret_key=TEST_SECRET_KEY,
        worker={"chunk_size": 200, "lease_seconds": 5.0},
    )


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "STIXFLOW_DATABASE_URL": settings.database_url,
        "STIXFLOW_SECRET_KEY": TEST_SECRET_KEY,
        "STIXFLOW_CONFIG": "/nonexistent.toml",
    }
    return subprocess.run(
        [sys.executable, "-m", "stixflow", *args], env=env, capture_output=True, text=True
    )


def object_ids(runtime: Runtime) -> set[str]:
    with runtime.db.read() as tx:
        return {row[0] for row in tx.fetchall("SELECT id FROM objects")}


def test_a_backup_taken_during_an_import_loses_nothing(tmp_path: Path, data_dir: Path) -> None:
    original = open_runtime(settings_at(tmp_path / "live.db"))
    objects = parse_bundle((data_dir / "stix" / "mitre-cti-enterprise-attack.json").read_bytes())
    work = original.submitter.submit(objects, name="ATT&CK")
    stop = threading.Event()
    worker = threading.Thread(target=Worker(original, name="importer").run, args=(stop,))
    worker.start()
    try:
        while (original.works.get(work.id) or work).processed < 3000:
            stop.wait(0.01)
        backup(original.settings, tmp_path / "backup.db")  # the import goes on meanwhile
    finally:
        stop.set()
        worker.join(60)
    finished = drain(original, work.id, timeout=600)
    assert finished.status == COMPLETE

    restored_settings = settings_at(tmp_path / "restored" / "stixflow.db")
    put_back = cli(restored_settings, "restore", str(tmp_path / "backup.db"))
    assert put_back.returncode == 0, put_back.stderr
    restored = open_runtime(restored_settings, create=False)
    try:
        at_backup = restored.works.get(work.id)
        assert at_backup is not None and 3000 <= at_backup.processed < finished.processed
        assert at_backup.status != COMPLETE
        # The chunks acknowledged before the backup are off its queue: the drain below cannot
        # write them again, so the two stores can only be equal if the backup holds them all.
        resumed = drain(restored, work.id, timeout=600)  # its queue was backed up too
        assert resumed.processed + resumed.failed == finished.processed + finished.failed
        assert object_ids(restored) == object_ids(original)
    finally:
        restored.close()
        original.close()


def test_restore_refuses_a_database_in_use_and_pg(tmp_path: Path) -> None:
    live = open_runtime(settings_at(tmp_path / "live.db"))
    try:
        assert cli(live.settings, "backup", str(tmp_path / "copy.db")).returncode == 0
        again = cli(live.settings, "backup", str(tmp_path / "copy.db"))
        assert again.returncode == 1 and "exists" in again.stderr
        kept = cli(live.settings, "restore", str(tmp_path / "copy.db"))
        assert kept.returncode == 1 and "--force" in kept.stderr
        beat = HeartbeatWriter(live.db, "busy")
        beat.beat(0, force=True)
        busy = cli(live.settings, "restore", "--force", str(tmp_path / "copy.db"))
        assert busy.returncode == 1 and "in use by busy" in busy.stderr
        beat.stop()
        assert cli(live.settings, "restore", "--force", str(tmp_path / "copy.db")).returncode == 0
        junk = tmp_path / "junk.db"
        junk.write_bytes(b"not a database at all" * 100)
        refused = cli(live.settings, "restore", "--force", str(junk))
        assert refused.returncode == 1 and "not a stixflow backup" in refused.stderr
    finally:
        live.close()
    pg = load_settings(database_url="postgresql://postgres@127.0.0.1:5432/none")
    told = cli(pg, "backup", str(tmp_path / "pg.db"))
    assert told.returncode == 1 and "pg_dump" in told.stderr


@pytest.fixture(autouse=True)
def _no_stray_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STIXFLOW_DATABASE_URL", raising=False)
