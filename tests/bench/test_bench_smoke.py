"""Smoke test of the benchmark harness: the quick pipeline scenario on sqlite-embedded.

It checks that the scenario runs end to end (real worker processes), that every object landed
in the store, and that the table renders. No timing is asserted: speed is measured only by
``python -m bench``.
"""

from __future__ import annotations

import pytest

from bench import table
from bench.scenarios import pipeline_import
from bench.scenarios.base import Options


@pytest.mark.timeout(60)
def test_quick_pipeline_import_on_sqlite() -> None:
    options = Options(workers=1, repeat=1, quick=True, pairs=("sqlite-embedded",))

    rows = pipeline_import.run(options)

    assert [row.backend for row in rows] == ["sqlite-embedded"]
    row = rows[0]
    assert not row.failed, row.note
    assert row.values["count_check"] == "ok"
    assert row.values["stored"] == row.values["objects"] > 0
    header, rule, line = table.render(rows).splitlines()
    assert header.startswith("| scenario | back end | objects | wall s | objects/s |")
    assert rule.startswith("| --- | --- |")
    assert "| sqlite-embedded |" in line and "| ok |" in line
