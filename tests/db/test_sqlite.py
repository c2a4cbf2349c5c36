"""SQLite: writers wait for the write lock in short steps, and give up after the busy timeout."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from stixflow.db import sqlite
from stixflow.db.sqlite import SQLiteDatabase
from stixflow.errors import TransientBackendError


def database(tmp_path: Path) -> SQLiteDatabase:
    db = SQLiteDatabase(f"sqlite:///{tmp_path}/x.db")
    with db.transaction() as tx:
        tx.execute("CREATE TABLE t (x INTEGER)")
    return db


def test_a_waiting_writer_starts_soon_after_the_holder_commits(tmp_path: Path) -> None:
    holder, waiter = database(tmp_path), SQLiteDatabase(f"sqlite:///{tmp_path}/x.db")
    held = threading.Event()
    released_at: list[float] = []

    def hold() -> None:
        with holder.transaction() as tx:
            tx.execute("INSERT INTO t VALUES (1)")
            held.set()
            time.sleep(0.4)  # SQLite's busy handler would be sleeping 100 ms steps by now
            released_at.append(time.monotonic())

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    with waiter.transaction() as tx:
        started = time.monotonic()
        tx.execute("INSERT INTO t VALUES (2)")
    thread.join()
    assert started - released_at[0] < 0.08  # SQLite's own handler: up to 100 ms late
    with waiter.read() as tx:
        assert tx.fetchall("SELECT x FROM t ORDER BY x") == [(1,), (2,)]
    # the busy timeout is back for the connection's other statements
    with waiter.read() as tx:
        assert tx.fetchall("PRAGMA busy_timeout") == [(sqlite.BUSY_TIMEOUT_MS,)]
    holder.close()
    waiter.close()


def test_a_writer_gives_up_after_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder, waiter = database(tmp_path), SQLiteDatabase(f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 200)
    with holder.transaction():
        started = time.monotonic()
        with pytest.raises(TransientBackendError, match="locked"), waiter.transaction():
            pass
        assert 0.2 <= time.monotonic() - started < 2.0
    with waiter.transaction() as tx:  # and the connection is usable afterwards
        tx.execute("INSERT INTO t VALUES (3)")
    holder.close()
    waiter.close()
