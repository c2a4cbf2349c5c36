"""Keeping a run's rows as JSON in ``bench/results/<timestamp>.json`` (git-ignored)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.scenarios.base import Row

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def write(rows: Sequence[Row], *, meta: dict[str, Any], directory: Path, stamp: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stamp}.json"
    document = {**meta, "rows": [asdict(row) for row in rows]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
