"""Chart geometry for the overview, drawn as inline SVG by the templates
(no script, no external service). Only numbers are computed here; labels
reach the SVG through the template, escaped like all other text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    value: int
    label: str
    link: str = ""


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    peak: int
    ticks: list[tuple[float, str]]   # (position, label) along the category axis


def nice_peak(n: int) -> int:
    """The axis maximum: the smallest of 1, 2, 5 x 10^k not below ``n``."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= n:
                return max(m * step, 1)
        step *= 10


def day_chart(series: list[tuple[str, int]], width: int = 720, height: int = 220,
              link=lambda day: "") -> Chart:
    """Vertical bars, one per day, oldest on the left."""
    left, right, bottom, top = 36, 20, 24, 10
    peak = nice_peak(max((n for _, n in series), default=0))
    slot = (width - left - right) / max(1, len(series))
    plot = height - bottom - top
    bars = []
    for i, (day, n) in enumerate(series):
        h = plot * n / peak
        bars.append(Bar(left + i * slot + slot * 0.15, top + plot - h, slot * 0.7, h, n, day, link(day)))
    every = max(1, len(series) // 6)
    ticks = [(left + i * slot + slot / 2, day[5:]) for i, (day, _) in enumerate(series)
             if i % every == 0 or i == len(series) - 1]
    return Chart(width, height, bars, peak, ticks)


def rule_chart(counts: list[tuple[str, str, int]], width: int = 720, row: int = 26,
               link=lambda rule: "") -> Chart:
    """Horizontal bars, one per rule (rule id, title, count), most first."""
    left, right = 150, 50
    peak = nice_peak(max((n for _, _, n in counts), default=0))
    bars = [Bar(left, 4 + i * row, (width - left - right) * n / peak, row - 8, n, title or rule,
                link(rule)) for i, (rule, title, n) in enumerate(counts)]
    return Chart(width, 8 + row * max(1, len(counts)), bars, peak, [])
