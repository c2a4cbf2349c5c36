"""Charts drawn on the server as inline SVG (no JavaScript): a stacked bar chart with axes, a
legend and a ``<title>`` on every bar for screen readers and hover.

Each SVG has a fixed ``viewBox`` and scales to its container's width. Text in a scaled SVG
scales with it, so the chart is drawn twice, in a wide and a narrow layout, and the stylesheet
(``knowledge.css``) shows the one that fits; the legend is HTML below, so it wraps instead of
shrinking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = (
    "#1f6feb",
    "#e36209",
    "#1a7f37",
    "#8250df",
    "#cf222e",
    "#0a8ea0",
    "#9a6700",
    "#bf3989",
)
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 14, 46
MAX_BAR = 36


@dataclass(frozen=True)
class Layout:
    name: str
    width: int
    height: int
    x_labels: int


WIDE = Layout("wide", 760, 300, 10)
NARROW = Layout("narrow", 330, 240, 4)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


@dataclass(frozen=True)
class Frame:
    """Where the plot area is and how values map to pixels."""

    layout: Layout
    buckets: int
    top_value: int

    @property
    def plot_width(self) -> float:
        return self.layout.width - LEFT - RIGHT

    @property
    def plot_height(self) -> float:
        return self.layout.height - TOP - BOTTOM

    @property
    def slot(self) -> float:
        return self.plot_width / max(self.buckets, 1)

    def x(self, index: int) -> float:
        return LEFT + index * self.slot

    def y(self, value: float) -> float:
        return TOP + self.plot_height * (1 - value / self.top_value)


def stacked_bars(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    x_title: str,
    y_title: str,
    chart_id: str = "chart",
) -> Markup:
    """A ``<figure>`` with the chart (both layouts) and its legend; one bar per label, one
    colour per series."""
    drawings = "".join(
        _svg(layout, labels, series, title=title, x_title=x_title, y_title=y_title, key=chart_id)
        for layout in (WIDE, NARROW)
    )
    return Markup(
        f'<figure class="chart" id="{chart_id}" aria-label="{escape(title)}">{drawings}'
        f"{_legend(series)}</figure>"
    )


def _svg(
    layout: Layout,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    x_title: str,
    y_title: str,
    key: str,
) -> str:
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    step = nice_step(max(totals, default=0))
    ticks = max(1, math.ceil(max(totals, default=0) / step))
    frame = Frame(layout=layout, buckets=len(labels), top_value=ticks * step)
    title_id = f"{key}-{layout.name}-title"
    parts = [
        f'<svg class="chart-{layout.name}" viewBox="0 0 {layout.width} {layout.height}" '
        f'role="img" aria-labelledby="{title_id}" xmlns="http://www.w3.org/2000/svg" '
        'font-size="12" fill="#1d2430">',
        f'<title id="{title_id}">{escape(title)}</title>',
        *_y_axis(frame, step, ticks, y_title),
        *_bars(frame, labels, series),
        *_x_axis(frame, labels, x_title),
        "</svg>",
    ]
    return "".join(parts)


def nice_step(top: int) -> int:
    """A round tick step (1, 2 or 5 times a power of ten) giving about four ticks up to ``top``."""
    if top <= 4:
        return 1
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)


def _y_axis(frame: Frame, step: int, ticks: int, y_title: str) -> list[str]:
    parts = []
    for tick in range(ticks + 1):
        value = tick * step
        y = frame.y(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{frame.layout.width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#8c959f" if tick == 0 else "#dde3ea"}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,}</text>'
        )
    middle = TOP + frame.plot_height / 2
    parts.append(
        f'<text x="12" y="{middle:.1f}" text-anchor="middle" fill="#5f6b7a" '
        f'transform="rotate(-90 12 {middle:.1f})">{escape(y_title)}</text>'
    )
    return parts


def _bars(frame: Frame, labels: Sequence[str], series: Sequence[Series]) -> list[str]:
    bar = min(frame.slot * 0.8, MAX_BAR)
    inset = (frame.slot - bar) / 2
    parts = []
    for index, label in enumerate(labels):
        base = 0
        for number, line in enumerate(series):
            value = line.values[index]
            if not value:
                continue
            top, bottom = frame.y(base + value), frame.y(base)
            parts.append(
                f'<rect x="{frame.x(index) + inset:.1f}" y="{top:.1f}" '
                f'width="{max(bar, 1):.1f}" height="{bottom - top:.1f}" '
                f'fill="{color(number)}"><title>{escape(line.name)}, {escape(label)}: '
                f"{value:,}</title></rect>"
            )
            base += value
    return parts


def _x_axis(frame: Frame, labels: Sequence[str], x_title: str) -> list[str]:
    every = max(1, math.ceil(len(labels) / frame.layout.x_labels))
    baseline = TOP + frame.plot_height
    parts = [
        f'<text x="{frame.x(index) + frame.slot / 2:.1f}" y="{baseline + 17:.1f}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for index, label in enumerate(labels)
        if index % every == 0
    ]
    parts.append(
        f'<text x="{LEFT + frame.plot_width / 2:.1f}" y="{frame.layout.height - 6}" '
        'text-anchor="middle" '
        f'fill="#5f6b7a">{escape(x_title)}</text>'
    )
    return parts


def _legend(series: Sequence[Series]) -> str:
    items = "".join(
        f'<span><i style="background:{color(number)}"></i>{escape(line.name)} '
        f'<span class="muted">({sum(line.values):,})</span></span>'
        for number, line in enumerate(series)
    )
    return f'<figcaption class="legend">{items}</figcaption>'


def color(number: int) -> str:
    return PALETTE[number % len(PALETTE)]
