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


def horizontal(rows: list[tuple[str, int]], *, width: int = 400, row: int = 40) -> dict:
    """One bar per row, largest first: the label above its bar, the amount at the right."""
    rows = sorted(rows, key=lambda r: -r[1])[:20]
    top = max((v for _l, v in rows), default=0) or 1
    room = width - 90
    bars = []
    for n, (label, value) in enumerate(rows):
        bar = Bar(str(label)[:48], value, money.format_money(value))
        bar.x, bar.y, bar.height = 0, n * row + 20, 12
        bar.width = max(2.0, room * value / top) if value > 0 else 0
        bars.append(bar)
    return {"bars": bars, "width": width, "height": max(row, len(rows) * row), "value_x": width}


def days(series: list[tuple[str, str, int]], *, width: int = 600, height: int = 200) -> dict:
    """Vertical bars per day: SERIES is (iso date, short label, micro-USD) in date order."""
    top = max((v for _d, _l, v in series), default=0) or 1
    pad_bottom, pad_top = 24, 22
    plot = height - pad_bottom - pad_top
    step = width / max(1, len(series))
    bars = []
    every = max(1, len(series) // 6)  # about six date labels whatever the period
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
