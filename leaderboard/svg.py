"""Inline SVG plots for the HTML report: scatter, heatmap, lines. No plotting library, no network:
each function returns one ``<svg>`` element as text (values in, markup out)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Sequence

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


@dataclass
class Scatter:
    title: str
    x: list[float | None]
    y: list[float | None]
    x_label: str
    y_label: str
    log_x: bool = False


@dataclass
class Heatmap:
    title: str
    names: list[str]
    matrix: list[list[float | None]]


@dataclass
class Lines:
    title: str
    x: list[float]  # positions of the points (steps, or 0..k-1 for categories)
    series: dict[str, list[float | None]]
    x_label: str
    y_label: str
    x_ticks: list[str] | None = None  # category labels at 0..k-1
    hline: tuple[float, str] | None = None
    bands: dict[str, tuple[list[float | None], list[float | None]]] = field(default_factory=dict)


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (about ``n`` of them)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    t = first
    while t <= hi + 1e-9 * step:
        ticks.append(round(t, 12))
        t += step
    return ticks


def _fmt_tick(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.0e}"
    return f"{v:g}"


class _Frame:
    """Plot area inside an SVG of ``w`` × ``h`` with margins; maps data to pixels."""

    def __init__(self, w: int, h: int, xr: tuple[float, float], yr: tuple[float, float],
                 margin: tuple[int, int, int, int] = (28, 12, 40, 52)):
        self.w, self.h = w, h
        self.top, self.right, self.bottom, self.left = margin
        self.x0, self.x1 = xr if xr[1] > xr[0] else (xr[0] - 0.5, xr[0] + 0.5)
        self.y0, self.y1 = yr if yr[1] > yr[0] else (yr[0] - 0.5, yr[0] + 0.5)

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.w - self.left - self.right)

    def py(self, y: float) -> float:
        return self.h - self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.h - self.top - self.bottom)

    def axes(self, title: str, x_label: str, y_label: str, x_ticks: list[tuple[float, str]],
             y_ticks: list[tuple[float, str]]) -> list[str]:
        out = [f'<text class="t" x="{self.w / 2:.1f}" y="16" text-anchor="middle">{escape(title)}</text>',
               f'<rect class="pa" x="{self.left}" y="{self.top}" width="{self.w - self.left - self.right}" '
               f'height="{self.h - self.top - self.bottom}"/>']
        for v, label in x_ticks:
            x = self.px(v)
            out.append(f'<line class="g" x1="{x:.1f}" y1="{self.top}" x2="{x:.1f}" y2="{self.h - self.bottom}"/>')
            out.append(f'<text class="k" x="{x:.1f}" y="{self.h - self.bottom + 13}" text-anchor="middle">{escape(label)}</text>')
        for v, label in y_ticks:
            y = self.py(v)
            out.append(f'<line class="g" x1="{self.left}" y1="{y:.1f}" x2="{self.w - self.right}" y2="{y:.1f}"/>')
            out.append(f'<text class="k" x="{self.left - 4}" y="{y + 3:.1f}" text-anchor="end">{escape(label)}</text>')
        out.append(f'<text class="l" x="{(self.left + self.w - self.right) / 2:.1f}" y="{self.h - 6}" '
                   f'text-anchor="middle">{escape(x_label)}</text>')
        cy = (self.top + self.h - self.bottom) / 2
        out.append(f'<text class="l" x="12" y="{cy:.1f}" text-anchor="middle" '
                   f'transform="rotate(-90 12 {cy:.1f})">{escape(y_label)}</text>')
        return out


def _svg(w: int, h: int, body: list[str], label: str) -> str:
    return (f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            f'role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg>")


def _pad(lo: float, hi: float, share: float = 0.05) -> tuple[float, float]:
    span = hi - lo or abs(hi) or 1.0
    return lo - share * span, hi + share * span


def scatter_svg(p: Scatter, w: int = 300, h: int = 230) -> str:
    pts = [(x, y) for x, y in zip(p.x, p.y) if _finite(x) and _finite(y) and (not p.log_x or x > 0)]
    if p.log_x:
        pts = [(math.log10(x), y) for x, y in pts]
    if not pts:
        return _svg(w, h, [f'<text class="t" x="{w / 2}" y="{h / 2}" text-anchor="middle">{escape(p.title)}: '
                           'no finite scores</text>'], p.title)
    xs, ys = [a for a, _ in pts], [b for _, b in pts]
    f = _Frame(w, h, _pad(min(xs), max(xs)), _pad(min(ys), max(ys)))
    xt = [(t, f"1e{t:g}" if p.log_x else _fmt_tick(t)) for t in nice_ticks(f.x0, f.x1, 4)]
    yt = [(t, _fmt_tick(t)) for t in nice_ticks(f.y0, f.y1, 4)]
    body = f.axes(p.title, p.x_label + (" (log scale)" if p.log_x else ""), p.y_label, xt, yt)
    body += [f'<circle class="d" cx="{f.px(x):.1f}" cy="{f.py(y):.1f}" r="2.2"/>' for x, y in pts]
    return _svg(w, h, body, p.title)


def _diverging(v: float) -> str:
    """-1 → blue, 0 → white, +1 → red."""
    v = max(-1.0, min(1.0, v))
    if v >= 0:
        g = int(round(255 - 170 * v))
        return f"rgb(255,{g},{int(round(255 - 200 * v))})"
    g = int(round(255 + 120 * v))
    return f"rgb({int(round(255 + 200 * v))},{g},255)"


def heatmap_svg(p: Heatmap, cell: int = 34) -> str:
    k = len(p.names)
    left = 8 + 7 * max((len(n) for n in p.names), default=1)
    top = 30 + 7 * max((len(n) for n in p.names), default=1)
    w, h = left + k * cell + 10, top + k * cell + 10
    body = [f'<text class="t" x="{w / 2:.1f}" y="16" text-anchor="middle">{escape(p.title)}</text>']
    for i, name in enumerate(p.names):
        y = top + i * cell + cell / 2 + 4
        body.append(f'<text class="k" x="{left - 4}" y="{y:.1f}" text-anchor="end">{escape(name)}</text>')
        x = left + i * cell + cell / 2 + 4
        body.append(f'<text class="k" x="{x:.1f}" y="{top - 4}" transform="rotate(-60 {x:.1f} {top - 4})">{escape(name)}</text>')
    for i, row in enumerate(p.matrix):
        for j, v in enumerate(row):
            x, y = left + j * cell, top + i * cell
            fill = _diverging(v) if _finite(v) else "#eee"
            text = f"{v:.2f}" if _finite(v) else "—"
            body.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="#fff">'
                        f'<title>{escape(p.names[i])} × {escape(p.names[j])}: {text}</title></rect>')
            body.append(f'<text class="v" x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle">{text}</text>')
    return _svg(w, h, body, p.title)


def lines_svg(p: Lines, w: int = 560, h: int = 320) -> str:
    values = [v for s in p.series.values() for v in s if _finite(v)]
    values += [v for lo, hi in p.bands.values() for v in (*lo, *hi) if _finite(v)]
    if p.hline is not None:
        values.append(p.hline[0])
    if not values or not p.x:
        return _svg(w, h, [f'<text class="t" x="{w / 2}" y="{h / 2}" text-anchor="middle">{escape(p.title)}: '
                           'no values</text>'], p.title)
    legend_w = 8 + 7 * max((len(n) for n in p.series), default=0)
    f = _Frame(w, h, _pad(min(p.x), max(p.x), 0.12 if p.x_ticks is not None else 0.03), _pad(min(values), max(values)),
               margin=(28, 16 + legend_w, 40, 52))
    if p.x_ticks is not None:
        xt = [(float(i), label) for i, label in enumerate(p.x_ticks)]
    else:
        xt = [(t, _fmt_tick(t)) for t in nice_ticks(f.x0, f.x1, 6)]
    yt = [(t, _fmt_tick(t)) for t in nice_ticks(f.y0, f.y1, 5)]
    body = f.axes(p.title, p.x_label, p.y_label, xt, yt)
    if p.hline is not None:
        y = f.py(p.hline[0])
        body.append(f'<line class="h" x1="{f.left}" y1="{y:.1f}" x2="{w - f.right}" y2="{y:.1f}"/>')
        body.append(f'<text class="k" x="{w - f.right - 4}" y="{y - 4:.1f}" text-anchor="end">{escape(p.hline[1])}</text>')
    for i, (name, ys) in enumerate(p.series.items()):
        color = PALETTE[i % len(PALETTE)]
        if name in p.bands:
            lo, hi = p.bands[name]
            ok = [j for j in range(len(p.x)) if _finite(lo[j]) and _finite(hi[j])]
            if ok:
                poly = [f"{f.px(p.x[j]):.1f},{f.py(hi[j]):.1f}" for j in ok] + \
                       [f"{f.px(p.x[j]):.1f},{f.py(lo[j]):.1f}" for j in reversed(ok)]
                body.append(f'<polygon points="{" ".join(poly)}" fill="{color}" fill-opacity="0.12" stroke="none"/>')
        segment: list[str] = []
        segments = []
        for x, y in zip(p.x, ys):
            if _finite(y):
                segment.append(f"{f.px(x):.1f},{f.py(y):.1f}")
            elif segment:
                segments.append(segment)
                segment = []
        if segment:
            segments.append(segment)
        for seg in segments:
            body.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="1.8"/>')
            if len(p.x) <= 12:
                body += [f'<circle cx="{pt.split(",")[0]}" cy="{pt.split(",")[1]}" r="2.8" fill="{color}"/>' for pt in seg]
        ly = f.top + 6 + 15 * i
        lx = w - f.right + 10
        body.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 14}" y2="{ly}" stroke="{color}" stroke-width="2.5"/>')
        body.append(f'<text class="k" x="{lx + 18}" y="{ly + 3}">{escape(name)}</text>')
    return _svg(w, h, body, p.title)


def log_scale_fits(values: Sequence[float | None]) -> bool:
    """Scores that are all positive and span more than three decades read better on a log axis."""
    xs = [v for v in values if _finite(v)]
    return bool(xs) and min(xs) > 0 and max(xs) / min(xs) > 1e3
