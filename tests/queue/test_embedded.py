"""The embedded queue: an idle poll reads; only a ready message takes the write lock."""

from __future__ import annotations

import time
from pathlib import Path

from stixflow.config import load_settings
from stixflow.db.sqlite import SQLiteDatabase
from stixflow.queue.embedded import EmbeddedQueue
from stixflow.runtime import open_runtime


def test_an_idle_poll_does_not_wait_for_the_write_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/stixflow.db"
    open_runtime(load_settings(database_url=url)).close()  # migrated
    writer, poller = SQLiteDatabase(url), SQLiteDatabase(url)
    queue = EmbeddedQueue(poller)
    with writer.transaction():  # another process holds the write lock for long
        started = time.monotonic()
        assert queue.receive(["jobs"], timeout=0.2) is None
        assert time.monotonic() - started < 1.0
    queue.publish("jobs", b"work")
    delivery = queue.receive(["jobs"], timeout=1.0)
    assert delivery is not None and delivery.body == b"work"
    queue.ack(delivery)
    writer.close()
    poller.close()
