"""The status page's two small charts, as geometry for an inline ``<svg>``.

Server-rendered so they work without JavaScript and under a Content-Security-Policy that
forbids inline script and style: colours are SVG presentation attributes (``fill=``), set
in the template. The numbers behind each chart are also rendered as a table for screen
readers and for anyone who wants the exact values.

* Syncs per day, stacked by outcome group (written, nothing to change, waiting, failed).
* Webhook → calendar time per day: the median and the 95th percentile, read from the
  per-day counts of ``worker.stores.history.LATENCY_BOUNDS`` (so a value is "at most N seconds").
  The scale is by bound, which is roughly logarithmic: 0.5 s and 4 h fit one chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.stores.history import LATENCY_BOUNDS

# A narrow drawing with large text: the chart is scaled to its box, and on a 390 px phone a
# 640-unit drawing made its 11-unit labels about 5 px tall. At 420 units, ``FONT`` stays
# above 11 px on a phone and about 16 px on a desktop's half-width figure.
WIDTH = 420
HEIGHT = 210
LEFT = 56
RIGHT = 18  # room for half of the last day's label
BOTTOM = 26
TOP = 10
FONT = 14

# Outcome groups in stacking order (bottom first) and the results each one counts. A block
# made or freed in Lockme is a write; Lockme's echo of it (``own_block``) and a slot left to
# the customer who holds it (``conflict``) write nothing, so one block counts once.
GROUPS: dict[str, tuple[str, ...]] = {
    "written": ("created", "updated", "moved", "restored", "deleted", "blocked", "freed"),
    "nothing": (
        "unchanged",
        "absent",
        "stale",
        "ignored",
        "hidden",
        "tested",
        "duplicate",
        "own_block",
        "conflict",
    ),
    "waiting": ("parked",),
    "failed": ("failed",),
}
COLOURS = {"written": "#1b7a3d", "nothing": "#8a94a3", "waiting": "#b36b00", "failed": "#b3261e"}


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass
class Chart:
    """What the template draws: rectangles, y-axis ticks and one label per day."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    font: int = FONT
    plot_bottom: float = HEIGHT - BOTTOM
    rects: list[Rect] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    days: list[tuple[float, str]] = field(default_factory=list)
    empty: bool = True


def group_counts(counts: dict[str, int]) -> dict[str, int]:
    """One day's result counts summed into ``GROUPS`` (unknown results count as written)."""
    grouped = dict.fromkeys(GROUPS, 0)
    for result, number in counts.items():
        group = next((g for g, results in GROUPS.items() if result in results), "written")
        grouped[group] += number
    return grouped


def _slots(days: list[str]) -> tuple[float, list[tuple[float, str]]]:
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    return slot, [(LEFT + slot * i + slot / 2, day[5:]) for i, day in enumerate(days)]


def syncs_chart(daily: dict[str, dict[str, int]], titles: dict[str, str]) -> Chart:
    """Stacked bars of syncs per day, oldest day on the left; ``titles`` names each group."""
    days = sorted(daily)
    grouped = {day: group_counts(daily[day]) for day in days}
    peak = max((sum(g.values()) for g in grouped.values()), default=0)
    chart = Chart(empty=peak == 0)
    slot, chart.days = _slots(days)
    top = _nice(peak)
    scale = (HEIGHT - BOTTOM - TOP) / top
    chart.ticks = [Tick(HEIGHT - BOTTOM - v * scale, str(v)) for v in (0, top // 2, top)]
    for i, day in enumerate(days):
        y: float = HEIGHT - BOTTOM
        for group, number in grouped[day].items():
            if not number:
                continue
            height = number * scale
            y -= height
            chart.rects.append(
                Rect(
                    LEFT + slot * i + slot * 0.15,
                    y,
                    slot * 0.7,
                    height,
                    COLOURS[group],
                    f"{day}: {titles[group]} {number}",
                )
            )
    return chart


def quantile_bound(counts: dict[str, int], q: float) -> str | None:
    """The smallest latency bound (as stored, e.g. ``"2"`` or ``"inf"``) that holds a
    ``q`` share of the day's syncs; None for a day without any."""
    total = sum(counts.values())
    if not total:
        return None
    seen = 0
    for bound in [*(str(b) for b in LATENCY_BOUNDS), "inf"]:
        seen += counts.get(bound, 0)
        if seen >= q * total:
            return bound
    return "inf"


def bound_label(bound: str) -> str:
    """``"0.5"`` → ``≤0.5 s``, ``"300"`` → ``≤5 min``, ``"14400"`` → ``≤4 h``."""
    if bound == "inf":
        return f">{bound_label(str(LATENCY_BOUNDS[-1]))[1:]}"
    seconds = float(bound)
    if seconds < 60:
        return f"≤{seconds:g} s"
    if seconds < 3600:
        return f"≤{seconds / 60:g} min"
    return f"≤{seconds / 3600:g} h"


def latency_chart(latency: dict[str, dict[str, int]], titles: dict[str, str]) -> Chart:
    """Per day a bar up to the median bound and a thinner one on to the 95th percentile."""
    days = sorted(latency)
    levels = [*(str(b) for b in LATENCY_BOUNDS), "inf"]
    chart = Chart(empty=not any(sum(c.values()) for c in latency.values()))
    slot, chart.days = _slots(days)
    step = (HEIGHT - BOTTOM - TOP) / len(levels)

    def y_of(bound: str) -> float:
        return HEIGHT - BOTTOM - (levels.index(bound) + 1) * step

    chart.ticks = [Tick(y_of(b), bound_label(b)) for b in ("1", "10", "60", "3600")]
    for i, day in enumerate(days):
        median = quantile_bound(latency[day], 0.5)
        p95 = quantile_bound(latency[day], 0.95)
        if median is None or p95 is None:
            continue
        x = LEFT + slot * i
        chart.rects.append(
            Rect(
                x + slot * 0.45,
                y_of(p95),
                slot * 0.1,
                y_of(median) - y_of(p95),
                "#8a94a3",
                f"{day}: {titles['p95']} {bound_label(p95)}",
            )
        )
        chart.rects.append(
            Rect(
                x + slot * 0.25,
                y_of(median),
                slot * 0.5,
                HEIGHT - BOTTOM - y_of(median),
                "#1a63c7",
                f"{day}: {titles['median']} {bound_label(median)}",
            )
        )
    return chart


def _nice(peak: int) -> int:
    """A round axis maximum at or above ``peak`` (and even, so that half is a whole)."""
    for top in (2, 4, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if peak <= top:
            return top
    return ((peak + 9999) // 10000) * 10000
