"""Small server-rendered SVG charts (no JavaScript, no CDN): bars, grouped bars and lines.

In: labels and numbers already translated and formatted by the caller. Out:
Markup holding one <svg> with a <title> and text labels, readable without
colour. Negative values draw below the zero line.
"""
from __future__ import annotations

import math

from markupsafe import Markup, escape

PALETTE = ("#0b6bcb", "#e07b1a", "#1a7f37", "#8a3ffc", "#c0362c")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 640, 240, 70, 48, 16, 40


def _number(value: float) -> str:
    """12,500 / 0.25 / 1: no decimals that say nothing."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _nice(value: float) -> float:
    """The smallest 1, 2, 4, 5 or 10 x 10^k at or above `value`, so that the four axis steps are round."""
    if value <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 4, 5, 10) if m * power >= value)


def _scale(values: list[float]) -> tuple[float, float]:
    low, high = -_nice(-min([0.0, *values])), _nice(max([0.0, *values]))
    return low, (high if high != low else low + 4)


def _y(value: float, low: float, high: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (high - value) / (high - low)


def _axis(low: float, high: float, fmt) -> str:  # five lines: the range in four equal steps
    parts = []
    for step in range(5):
        value = low + (high - low) * step / 4
        y = _y(value, low, high)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde3ea"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                     f'{escape(fmt(value))}</text>')
    return "".join(parts)


def bars(title: str, labels: list[str], series: list[tuple[str, list[float]]], fmt=_number) -> Markup:
    """Grouped vertical bars: one group per label, one bar per series (name, values)."""
    low, high = _scale([v for _n, values in series for v in values])
    group = (WIDTH - LEFT) / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    zero = _y(0, low, high)
    body = [_axis(low, high, fmt)]
    for i, label in enumerate(labels):
        x0 = LEFT + i * group + group * 0.1
        for s, (name, values) in enumerate(series):
            y = _y(values[i], low, high)
            top, height = min(y, zero), abs(zero - y)
            body.append(f'<rect x="{x0 + s * bar:.1f}" y="{top:.1f}" width="{bar - 2:.1f}" height="{height:.1f}" '
                        f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)} · {escape(name)}: '
                        f'{escape(fmt(values[i]))}</title></rect>')
        short = label if len(label) <= 16 else label[:15] + "…"
        body.append(f'<text x="{x0 + group * 0.4:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                    f'font-size="11">{escape(short)}</text>')
    return _svg(title, body, [name for name, _v in series])


def lines(title: str, labels: list[str], series: list[tuple[str, list[float]]], fmt=_number) -> Markup:
    """One polyline per series over evenly spaced labels, with a dot and value per point."""
    low, high = _scale([v for _n, values in series for v in values])
    step = (WIDTH - LEFT - 30 - RIGHT) / max(len(labels) - 1, 1)
    body = [_axis(low, high, fmt)]
    for i, label in enumerate(labels):
        body.append(f'<text x="{LEFT + 15 + i * step:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                    f'font-size="11">{escape(label)}</text>')
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = [(LEFT + 15 + i * step, _y(v, low, high)) for i, v in enumerate(values)]
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{escape(name)} · '
                 f'{escape(labels[i])}: {escape(fmt(values[i]))}</title></circle>' for i, (x, y) in enumerate(points)]
    return _svg(title, body, [name for name, _v in series])


def _svg(title: str, body: list[str], legend: list[str]) -> Markup:
    keys = "".join(f'<rect x="{LEFT + i * 150}" y="{HEIGHT - 18}" width="10" height="10" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/><text x="{LEFT + i * 150 + 14}" y="{HEIGHT - 9}" '
                   f'font-size="11">{escape(name)}</text>' for i, name in enumerate(legend))
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}{keys}</svg>')
