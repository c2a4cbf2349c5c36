"""The baseline: the same bundle parsed with orjson and bulk-inserted as raw rows.

Each object becomes ``(id, type, JSON text)`` (serialising it back with orjson is part of the
measured work) in a fresh table with a primary key on ``id``, in one transaction:

- SQLite: a new file with the pragmas of ``stixflow.db.sqlite`` (WAL, ``synchronous=NORMAL``),
  ``executemany`` of one ``INSERT``.
- PostgreSQL: a new database, ``COPY ... FROM STDIN`` through psycopg (``write_row``).

The clock runs from parsing the bytes to the commit; what stixflow does beyond this (STIX 2.1
upgrade, deterministic ids, validation, merge, provenance, queueing) is what the ratio prices.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg

from bench.backends import fresh_pg_database, scratch_dir

TABLE = "CREATE TABLE raw_objects (id TEXT PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL)"
METHODS = {
    "sqlite-embedded": "SQLite executemany, one transaction",
    "postgres-rabbitmq": "PostgreSQL COPY FROM STDIN, one transaction",
}


@dataclass
class BaselineRun:
    objects: int
    stored: int
    wall_s: float

    @property
    def objects_per_s(self) -> float:
        return self.objects / self.wall_s


def _rows(data: bytes) -> list[tuple[str, str, str]]:
    objects: list[dict[str, Any]] = orjson.loads(data)["objects"]
    return [(obj["id"], obj["type"], orjson.dumps(obj).decode()) for obj in objects]


def run_baseline(pair: str, data: bytes) -> BaselineRun:
    if pair == "sqlite-embedded":
        with scratch_dir() as directory:
            return _sqlite(directory / "baseline.db", data)
    with fresh_pg_database("sfbench_base") as url:
        return _postgres(url, data)


def _sqlite(path: Path, data: bytes) -> BaselineRun:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(TABLE)
        started = time.perf_counter()
        rows = _rows(data)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO raw_objects (id, type, data) VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
        wall = time.perf_counter() - started
        stored = conn.execute("SELECT COUNT(*) FROM raw_objects").fetchone()[0]
    finally:
        conn.close()
    return BaselineRun(objects=len(rows), stored=int(stored), wall_s=wall)


def _postgres(url: str, data: bytes) -> BaselineRun:
    with psycopg.connect(url) as conn:
        conn.execute(TABLE)
        conn.commit()
        started = time.perf_counter()
        rows = _rows(data)
        with conn.cursor() as cur, cur.copy("COPY raw_objects (id, type, data) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        wall = time.perf_counter() - started
        found = conn.execute("SELECT COUNT(*) FROM raw_objects").fetchone()
    stored = int(found[0]) if found else 0
    return BaselineRun(objects=len(rows), stored=stored, wall_s=wall)
