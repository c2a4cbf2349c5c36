"""What sources have brought in: objects ingested per source, summed over their works.

A work's ``processed`` counts the objects a worker applied for it; a connector's, an ingester's
or a synchroniser's works carry its source name, so the sum is what that source ingested (as
far back as works are kept).
"""

from __future__ import annotations

from collections.abc import Iterable

from stixflow.db.base import Database


def objects_ingested(db: Database, sources: Iterable[str]) -> dict[str, int]:
    """Objects applied per source in ``sources`` (sources without works are left out)."""
    wanted = sorted(set(sources))
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    with db.read() as tx:
        rows = tx.fetchall(
            f"SELECT source, SUM(processed) FROM works WHERE source IN ({marks}) GROUP BY source",
            wanted,
        )
    return {str(source): int(total or 0) for source, total in rows}
