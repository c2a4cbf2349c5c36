"""``/``: the knowledge base at a glance; ``/dead-letters``: the import messages that failed.

Dead letters (whole messages, any user's, any marking) are shown to administrators only
(``BYPASS``): the dashboard leaves their card out for anyone else.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from markupsafe import Markup

from stixflow.access.capabilities import Capability
from stixflow.api.deps import Caller, get_runtime
from stixflow.runtime import Runtime
from stixflow.store import stats
from stixflow.web.charts import Series, stacked_bars
from stixflow.web.session import page_require
from stixflow.web.templating import render

router = APIRouter()
reader = page_require(Capability.KNOWLEDGE)
administrator = page_require(Capability.BYPASS)
MAX_SERIES = 8
RECENT_LETTERS = 5
LISTED_LETTERS = 200
MAX_LETTER_ID = 2**63 - 1


@router.get("/")
def dashboard(
    request: Request, caller: Caller = Depends(reader), runtime: Runtime = Depends(get_runtime)
) -> Response:
    counts = runtime.store.count_by_type(access=caller.access)
    timeline = stats.ingest_timeline(runtime.db, caller.access, skip=[stats.PLATFORM]).top(
        MAX_SERIES
    )
    return render(
        request,
        "dashboard/index.html",
        caller=caller,
        active="dashboard",
        per_type=sorted(counts.items(), key=lambda item: (-item[1], item[0])),
        total=sum(counts.values()),
        sources=len(timeline.series),
        chart=ingest_chart(runtime, timeline),
        **_dead_letters(runtime, caller),
    )


def _dead_letters(runtime: Runtime, caller: Caller) -> dict[str, object]:
    """The dashboard's dead-letter figures, for an administrator only."""
    if not caller.can(Capability.BYPASS):
        return {"show_dead_letters": False}
    return {
        "show_dead_letters": True,
        "dead_letter_count": runtime.dead_letters.count(),
        "dead_letters": stats.recent_dead_letters(runtime.db, limit=RECENT_LETTERS),
    }


def ingest_chart(runtime: Runtime, timeline: stats.Timeline) -> Markup | None:
    """The "objects ingested per source" chart; None when nothing was ingested yet."""
    if not timeline.series:
        return None
    labels = stats.source_labels(runtime.db, [s.source for s in timeline.series])
    return stacked_bars(
        bucket_labels(timeline.buckets, timeline.unit),
        [Series(labels.get(s.source, s.source), s.counts) for s in timeline.series],
        title=f"New objects per source and {timeline.unit}",
        x_title=f"{timeline.unit.capitalize()} (UTC)",
        y_title="Objects",
        chart_id="ingest-chart",
    )


def bucket_labels(keys: list[str], unit: str) -> list[str]:
    """Short axis labels: "14:00" (with the date when hours span days), "01-31", "2026-01"."""
    if unit == "hour":
        several_days = len({key[:10] for key in keys}) > 1
        return [
            f"{key[5:10]} {key[11:13]}h" if several_days else f"{key[11:13]}:00" for key in keys
        ]
    if unit == "day":
        return [key[5:10] for key in keys]
    return keys


@router.get("/dead-letters")
def dead_letters(
    request: Request,
    caller: Caller = Depends(administrator),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    return render(
        request,
        "dashboard/dead_letters.html",
        caller=caller,
        active="dashboard",
        letters=stats.recent_dead_letters(runtime.db, limit=LISTED_LETTERS),
        total=runtime.dead_letters.count(),
    )


@router.post("/dead-letters/{letter_id}/retry")
def retry_dead_letter(
    request: Request,
    letter_id: int = Path(ge=1, le=MAX_LETTER_ID),
    caller: Caller = Depends(administrator),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    letter = runtime.dead_letters.retry(letter_id, runtime.queue)
    return render(request, "dashboard/_retried.html", caller=caller, letter=letter)
