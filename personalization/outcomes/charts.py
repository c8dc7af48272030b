"""Results charts as inline SVG geometry computed on the server (no JavaScript, no build step):
each group's cumulative rate or mean with its interval over time, and each lift with its
interval. Templates draw them with a text description and the same figures in a table."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from personalization.outcomes.reports import GoalResult, GroupResult
from personalization.outcomes.statistics import Interval

WIDTH, HEIGHT = 520, 200
# The right margin leaves room for the last axis label, centred on its tick.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 32, 12, 28
LIFT_ROW = 34
SERIES_STYLES = 6


def figure(value: float, *, binary: bool) -> str:
    """A rate as a percentage, a mean in its own unit."""
    return f"{value * 100:.2f} %" if binary else f"{value:,.2f}"


def difference(value: float, *, binary: bool) -> str:
    """A change: in percentage points for a rate, in the metric's unit otherwise."""
    return f"{value * 100:+.2f} pp" if binary else f"{value:+,.2f}"


def percent(value: float) -> str:
    return f"{value * 100:+.1f} %"


def _interval(interval: Interval, *, binary: bool) -> str:
    return (
        f"{figure(interval.estimate, binary=binary)} ({figure(interval.low, binary=binary)} to "
        f"{figure(interval.high, binary=binary)})"
    )


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    style: int
    points: str
    band: str
    dots: tuple[Dot, ...]


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class TimeChart:
    width: int
    height: int
    lines: tuple[Line, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    plot_left: int
    plot_right: int
    plot_bottom: int
    description: str


@dataclass(frozen=True, slots=True)
class LiftBar:
    label: str
    style: int
    y: float
    low: float
    high: float
    estimate: float
    title: str


@dataclass(frozen=True, slots=True)
class LiftChart:
    width: int
    height: int
    zero: float
    bars: tuple[LiftBar, ...]
    ticks: tuple[Tick, ...]
    plot_left: int
    plot_right: int
    description: str


def _scale(low: float, high: float, start: float, end: float) -> tuple[float, float]:
    """(offset, factor) mapping [low, high] onto [start, end]."""
    span = high - low or abs(high) or 1.0
    factor = (end - start) / span
    return start - low * factor, factor


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    step = (high - low) / count if high > low else 1.0
    return [low + step * i for i in range(count + 1)]


def time_chart(result: GoalResult) -> TimeChart | None:
    """Each shown group's cumulative rate (or mean) and interval, on the days a chart may show;
    None when there is nothing to draw."""
    groups = [group for group in result.groups if group.series]
    if not groups:
        return None
    days = sorted({point.day for group in groups for point in group.series})
    low = min(point.interval.low for group in groups for point in group.series)
    high = max(point.interval.high for group in groups for point in group.series)
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 0.01
    low, high = max(0.0, low - pad), high + pad
    bottom, top = HEIGHT - MARGIN_BOTTOM, MARGIN_TOP
    y_offset, y_factor = _scale(low, high, bottom, top)
    right = WIDTH - MARGIN_RIGHT
    step = (right - MARGIN_LEFT) / max(len(days) - 1, 1)
    x_of = {
        day: MARGIN_LEFT + (step * i if len(days) > 1 else (right - MARGIN_LEFT) / 2)
        for i, day in enumerate(days)
    }

    def y(value: float) -> float:
        return round(y_offset + y_factor * value, 1)

    lines = []
    for style, group in enumerate(groups):
        upper = [f"{round(x_of[p.day], 1)},{y(p.interval.high)}" for p in group.series]
        lower = [f"{round(x_of[p.day], 1)},{y(p.interval.low)}" for p in reversed(group.series)]
        dots = tuple(
            Dot(
                round(x_of[p.day], 1),
                y(p.interval.estimate),
                f"{group.label}, {p.day:%d %b}: {_interval(p.interval, binary=result.binary)}",
            )
            for p in group.series
        )
        lines.append(
            Line(
                label=group.label,
                style=style % SERIES_STYLES,
                points=" ".join(f"{d.x},{d.y}" for d in dots),
                band=" ".join(upper + lower),
                dots=dots,
            )
        )
    latest = "; ".join(
        f"{group.label} {figure(group.series[-1].interval.estimate, binary=result.binary)}"
        for group in groups
    )
    kind = "rate" if result.binary else "mean per visitor"
    return TimeChart(
        width=WIDTH,
        height=HEIGHT,
        lines=tuple(lines),
        y_ticks=tuple(Tick(y(v), figure(v, binary=result.binary)) for v in _ticks(low, high)),
        x_ticks=tuple(Tick(round(x_of[d], 1), f"{d:%d %b}") for d in _spread(days)),
        plot_left=MARGIN_LEFT,
        plot_right=right,
        plot_bottom=bottom,
        description=f"Cumulative {kind} of {result.name} with 95 % intervals over "
        f"{len(days)} day(s); latest: {latest}.",
    )


def _spread(days: Sequence[date], most: int = 6) -> list[date]:
    if len(days) <= most:
        return list(days)
    step = (len(days) - 1) / (most - 1)
    return [days[round(i * step)] for i in range(most)]


def lift_chart(result: GoalResult) -> LiftChart | None:
    """Each compared group's relative lift over the control with its interval; None when no
    group was compared."""
    compared: list[tuple[int, GroupResult]] = [
        (style, group)
        for style, group in enumerate(g for g in result.groups if g.shown)
        if group.comparison is not None and group.comparison.relative is not None
    ]
    if not compared:
        return None
    intervals = [
        g.comparison.relative for _, g in compared if g.comparison and g.comparison.relative
    ]
    low = min(0.0, *(i.low for i in intervals))
    high = max(0.0, *(i.high for i in intervals))
    pad = (high - low) * 0.08 or 0.05
    low, high = low - pad, high + pad
    right = WIDTH - MARGIN_RIGHT
    offset, factor = _scale(low, high, MARGIN_LEFT, right)

    def x(value: float) -> float:
        return round(offset + factor * value, 1)

    bars = []
    for row, (style, group) in enumerate(compared):
        lift = group.comparison.relative if group.comparison else None
        assert lift is not None
        bars.append(
            LiftBar(
                label=group.label,
                style=style % SERIES_STYLES,
                y=MARGIN_TOP + row * LIFT_ROW + LIFT_ROW / 2,
                low=x(lift.low),
                high=x(lift.high),
                estimate=x(lift.estimate),
                title=f"{group.label}: {percent(lift.estimate)} ({percent(lift.low)} to "
                f"{percent(lift.high)})",
            )
        )
    height = MARGIN_TOP + len(bars) * LIFT_ROW + MARGIN_BOTTOM
    return LiftChart(
        width=WIDTH,
        height=height,
        zero=x(0.0),
        bars=tuple(bars),
        ticks=tuple(Tick(x(v), percent(v)) for v in _ticks(low, high)),
        plot_left=MARGIN_LEFT,
        plot_right=right,
        description=f"Relative lift of {result.name} over the control with 95 % intervals: "
        + "; ".join(bar.title for bar in bars)
        + ".",
    )
