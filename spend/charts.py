"""Server-rendered SVG bar charts (no script, no inline style: the app's CSP allows neither).

Each function returns plain geometry for templates/spend/_bars.html and _days.html; the colours
come from classes in static/css/spend.css.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import money


@dataclass
class Bar:
    label: str
    value: int  # micro-USD
    text: str
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0


def horizontal(rows: list[tuple[str, int]], *, width: int = 600, row: int = 28) -> dict:
    """One bar per row, longest first; labels left, amounts right."""
    rows = sorted(rows, key=lambda r: -r[1])[:20]
    top = max((v for _l, v in rows), default=0) or 1
    label_w, value_w = 170, 110
    room = width - label_w - value_w
    bars = []
    for n, (label, value) in enumerate(rows):
        bar = Bar(str(label)[:28], value, money.format_money(value))
        bar.x, bar.y, bar.height = label_w, n * row + 6, row - 12
        bar.width = max(1.0, room * value / top) if value > 0 else 0
        bars.append(bar)
    return {
        "bars": bars,
        "width": width,
        "height": max(row, len(rows) * row),
        "label_x": label_w - 8,
        "value_x": width - value_w + 8,
        "text_dy": row / 2 + 4,
    }


def days(series: list[tuple[str, str, int]], *, width: int = 640, height: int = 180) -> dict:
    """Vertical bars per day: SERIES is (iso date, short label, micro-USD) in date order."""
    top = max((v for _d, _l, v in series), default=0) or 1
    pad_bottom, pad_top = 22, 18
    plot = height - pad_bottom - pad_top
    step = width / max(1, len(series))
    bars = []
    every = max(1, len(series) // 8)  # about eight date labels whatever the period
    for n, (day, label, value) in enumerate(series):
        bar = Bar(label if n % every == 0 else "", value, f"{day}: {money.format_money(value)}")
        bar.width = max(1.0, step * 0.7)
        bar.x = n * step + (step - bar.width) / 2
        bar.height = plot * value / top if value > 0 else 0
        bar.y = pad_top + plot - bar.height
        bars.append(bar)
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "axis_y": height - pad_bottom,
        "label_y": height - 6,
        "top_text": money.format_money(top if top > 1 else 0),
        "step": step,
    }
