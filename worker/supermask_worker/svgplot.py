"""Plain SVG charts for docs/results.md, written by hand (no plotting library on the machines this runs on): lines
with points and optional error bars, and a grid of cells shaded by value."""

from html import escape
from typing import List, Optional, Sequence, Tuple

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
W, H = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 210, 30, 44


class Series:
    def __init__(
        self,
        label: str,
        points: Sequence[Tuple[float, float]],
        errors: Optional[Sequence[float]] = None,
        dashed: bool = False,
    ):
        self.label = label
        self.points = list(points)
        self.errors = list(errors) if errors is not None else None
        self.dashed = dashed


def _text(x: float, y: float, s: str, anchor: str = "middle", size: int = 11, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {extra}>{escape(s)}</text>'


def _ticks(lo: float, hi: float, n: int = 5) -> List[float]:
    return [lo + (hi - lo) * i / n for i in range(n + 1)]


def line_chart(
    title: str,
    x_label: str,
    y_label: str,
    series: Sequence[Series],
    y_range: Tuple[float, float] = (0.0, 1.0),
) -> str:
    xs = [x for s in series for x, _ in s.points]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    y0, y1 = y_range
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return TOP + (1 - (y - y0) / (y1 - y0)) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        _text(W / 2, 18, title, size=13, extra='font-weight="bold"'),
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>',
    ]
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#eee"/>')
        out.append(_text(LEFT - 4, py(t) + 4, f"{t:.2g}", anchor="end"))
    for t in _ticks(x0, x1):
        out.append(_text(px(t), TOP + ph + 14, f"{t:.3g}"))
    out.append(_text(LEFT + pw / 2, H - 8, x_label))
    out.append(_text(14, TOP + ph / 2, y_label, extra=f'transform="rotate(-90 14 {TOP + ph / 2:.1f})"'))
    for i, s in enumerate(series):
        c = COLOURS[i % len(COLOURS)]
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="1.8"{dash}/>')
        for j, (x, y) in enumerate(s.points):
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.8" fill="{c}"/>')
            if s.errors is not None and s.errors[j] > 0:
                e = s.errors[j]
                out.append(
                    f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{py(y - e):.1f}" y2="{py(y + e):.1f}" '
                    f'stroke="{c}" stroke-width="1.2"/>'
                )
        ly = TOP + 12 + 16 * i
        legend = f'x1="{W - RIGHT + 10}" x2="{W - RIGHT + 28}" y1="{ly}" y2="{ly}"'
        out.append(f'<line {legend} stroke="{c}" stroke-width="2"{dash}/>')
        out.append(_text(W - RIGHT + 32, ly + 4, s.label, anchor="start", size=10))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def grid_chart(title: str, panels: Sequence[Tuple[str, List[List[float]]]], rows: Sequence[str], x_label: str) -> str:
    """Panels side by side, each a [row][column] grid of values in [0, 1], white (0) to dark red (1)."""
    cell_h, panel_w, gap, label_w = 11, 170, 16, 110
    height = TOP + cell_h * len(rows) + 56
    width = label_w + len(panels) * (panel_w + gap)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        _text(width / 2, 18, title, size=13, extra='font-weight="bold"'),
    ]
    for r, name in enumerate(rows):
        out.append(_text(label_w - 4, TOP + r * cell_h + 9, name, anchor="end", size=8))
    for p, (label, grid) in enumerate(panels):
        x0 = label_w + p * (panel_w + gap)
        cols = max(len(row) for row in grid)
        cw = panel_w / cols
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                shade = int(255 * (1 - max(0.0, min(1.0, v))))
                out.append(
                    f'<rect x="{x0 + c * cw:.1f}" y="{TOP + r * cell_h}" width="{cw + 0.3:.1f}" height="{cell_h}" '
                    f'fill="rgb(255,{shade},{shade})"><title>{v:.3f}</title></rect>'
                )
        frame = f'x="{x0}" y="{TOP}" width="{panel_w}" height="{cell_h * len(rows)}"'
        out.append(f'<rect {frame} fill="none" stroke="#999"/>')
        out.append(_text(x0 + panel_w / 2, TOP + cell_h * len(rows) + 14, label, size=10))
    out.append(_text(width / 2, height - 22, x_label, size=10))
    legend_x = label_w
    for i in range(11):
        shade = int(255 * (1 - i / 10))
        box = f'x="{legend_x + i * 14}" y="{height - 14}" width="14" height="8"'
        out.append(f'<rect {box} fill="rgb(255,{shade},{shade})" stroke="#ccc" stroke-width="0.3"/>')
    out.append(_text(legend_x + 160, height - 7, "0 … 1 (fraction of the layer's edges never selected)", "start", 9))
    out.append("</svg>")
    return "\n".join(out) + "\n"
