"""``python -m stixflow.tools.census``: the figure it prints from the census and our schema,
and the figure docs/connectors.md states."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from stixflow.tools import census

ROOT = Path(__file__).resolve().parents[2]


def test_counts_connectors_whose_every_call_is_served(tmp_path: Path) -> None:
    tsv = tmp_path / "census.tsv"
    tsv.write_text(
        "call\tconnectors\tconnector_folders\n"
        "label.create\t2\texternal-import/a,internal-enrichment/b\n"
        "stix2.format_date\t1\texternal-import/a\n"
        "made.up_call\t1\tinternal-enrichment/b\n"
        "fetch_opencti_file\t1\tstream/c\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "stixflow.tools.census", str(tsv)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    # b makes a call nobody serves; the 298 connectors making no call are served
    assert lines[0] == f"connectors fully served: {census.CATALOG - 1} / {census.CATALOG}"
    assert "  internal-enrichment: 0 / 1 that make calls" in lines
    assert "  external-import: 1 / 1 that make calls" in lines
    assert "  made.up_call: 1" in lines


def test_a_call_needing_a_root_we_do_not_have_is_not_served() -> None:
    roots = census.served_roots()
    assert "labelAdd" in roots and "GET /storage/get/{file_id:path}" in roots
    assert "stix_domain_object.list" in census.served_calls(roots)
    assert "query" not in census.served_calls(roots)
    assert "label.create" not in census.served_calls(roots - {"labelAdd"})


def test_docs_state_the_figure_the_tool_prints() -> None:
    calls = census.read_census(census.DEFAULT_CENSUS)
    served = census.served_calls(census.served_roots())
    figure = census.CATALOG - sum(1 for made in calls.values() if made - served)
    assert figure >= 0.95 * census.CATALOG
    docs = (ROOT / "docs" / "connectors.md").read_text()
    (line,) = [line for line in docs.splitlines() if "census" in line and " / 301" in line]
    assert re.search(rf"\b{figure} / {census.CATALOG}\b", line), line
