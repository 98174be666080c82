"""The report's plots, drawn with matplotlib: one ``Figure`` per plot record, written inline as
SVG for the HTML page or as PNG/PDF files for a paper (``nash report --figures DIR``).

Plot records (values in) are plain dataclasses so the data side never imports matplotlib. Axes
follow the data: scores spanning orders of magnitude go on a log axis when all positive, else
both axes show ranks (a Spearman ρ is the correlation of exactly those ranks); categories are
points with error bars, never a connected line; heatmaps carry a colour bar.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
Scale = Literal["linear", "log", "rank"]


@dataclass
class Scatter:
    title: str
    x: list[float | None]
    y: list[float | None]
    x_label: str
    y_label: str
    x_scale: Scale = "linear"


@dataclass
class Heatmap:
    title: str
    names: list[str]
    matrix: list[list[float | None]]
    label: str = "Spearman ρ"


@dataclass
class Lines:
    title: str
    x: list[float]  # positions of the points (steps, or 0..k-1 for categories)
    series: dict[str, list[float | None]]
    x_label: str
    y_label: str
    x_ticks: list[str] | None = None  # category labels at 0..k-1: drawn as points, not lines
    hline: tuple[float, str] | None = None
    bands: dict[str, tuple[list[float | None], list[float | None]]] = field(default_factory=dict)
    errors: dict[str, tuple[list[float | None], list[float | None]]] = field(
        default_factory=dict
    )  # CI low, high


Plot = Scatter | Heatmap | Lines


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def x_scale_for(values: Sequence[float | None]) -> Scale:
    """``log`` for positive scores spanning more than three decades, ``rank`` when they span
    that much but include zero or negatives (synflow: 0 … 3e43), else ``linear``."""
    xs = [abs(v) for v in values if _finite(v)]
    if not xs:
        return "linear"
    nonzero = [v for v in xs if v > 0]
    wide = bool(nonzero) and max(nonzero) / min(nonzero) > 1e3
    if not wide:
        return "linear"
    return "log" if all(v > 0 for v in values if _finite(v)) else "rank"


def _ranks(values: list[float]) -> list[float]:
    from scipy.stats import rankdata

    return list(rankdata(values))


def _figure(w: float, h: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def scatter_figure(p: Scatter) -> Figure:
    pts = [(x, y) for x, y in zip(p.x, p.y) if _finite(x) and _finite(y) and (p.x_scale != "log" or x > 0)]
    fig = _figure(3.4, 2.7)
    ax = fig.add_subplot()
    ax.set_title(p.title, fontsize=8)
    xs, ys = [x for x, _ in pts], [y for _, y in pts]
    x_label, y_label = p.x_label, p.y_label
    if p.x_scale == "rank" and pts:
        xs, ys = _ranks(xs), _ranks(ys)
        x_label, y_label = f"rank of {p.x_label}", f"rank of {p.y_label}"
    if p.x_scale == "log":
        ax.set_xscale("log")
        x_label += " (log scale)"
    ax.scatter(xs, ys, s=6, alpha=0.6, color=PALETTE[0], linewidths=0, gid="points")
    if not pts:
        ax.text(0.5, 0.5, "no finite (score, target) pairs", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(x_label, fontsize=7)
    ax.set_ylabel(y_label, fontsize=7)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)
    return fig


def heatmap_figure(p: Heatmap) -> Figure:
    import numpy as np

    n = len(p.names)
    size = max(2.8, 0.42 * n + 1.6)
    fig = _figure(size + 0.8, size)
    ax = fig.add_subplot()
    data = np.array([[np.nan if v is None else v for v in row] for row in p.matrix], dtype=float)
    mesh = ax.pcolormesh(
        np.ma.masked_invalid(data), cmap="RdBu_r", vmin=-1, vmax=1
    )  # vector cells, no raster
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)
    ax.set_aspect("equal")
    fig.colorbar(mesh, ax=ax, label=p.label, shrink=0.8)
    ax.set_xticks([i + 0.5 for i in range(n)], p.names, rotation=60, ha="right", fontsize=6)
    ax.set_yticks([i + 0.5 for i in range(n)], p.names, fontsize=6)
    for i in range(n):
        for j in range(n):
            if np.isfinite(data[i, j]):
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    f"{data[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=5,
                    color="white" if abs(data[i, j]) > 0.6 else "black",
                )
    ax.set_title(p.title, fontsize=8)
    return fig


def lines_figure(p: Lines) -> Figure:
    import numpy as np

    fig = _figure(5.6, 3.2)
    ax = fig.add_subplot()
    k = max(1, len(p.series))
    for i, (name, values) in enumerate(p.series.items()):
        color = PALETTE[i % len(PALETTE)]
        y = np.array([np.nan if v is None else v for v in values], dtype=float)
        if p.x_ticks is not None:  # categories: points with error bars, side by side
            x = np.array(p.x, dtype=float) + (i - (k - 1) / 2) * min(0.08, 0.6 / k)
            yerr = None
            if name in p.errors:
                lo, hi = (
                    np.array([np.nan if v is None else v for v in e], dtype=float) for e in p.errors[name]
                )
                yerr = np.vstack([np.where(np.isfinite(lo), y - lo, 0), np.where(np.isfinite(hi), hi - y, 0)])
            ax.errorbar(x, y, yerr=yerr, fmt="o", ms=4, capsize=2, color=color, label=name)
        else:
            ax.plot(p.x, y, color=color, label=name, lw=1.5)  # NaN gaps break the line
            if name in p.bands:
                lo, hi = (
                    np.array([np.nan if v is None else v for v in b], dtype=float) for b in p.bands[name]
                )
                ax.fill_between(p.x, lo, hi, color=color, alpha=0.15, lw=0)
    if p.hline is not None:
        ax.axhline(p.hline[0], ls="--", color="grey", lw=1, label=p.hline[1])
    if p.x_ticks is not None:
        ax.set_xticks(p.x, p.x_ticks, fontsize=7)
        ax.set_xlim(min(p.x, default=0) - 0.5, max(p.x, default=0) + 0.5)
    ax.set_title(p.title, fontsize=9)
    ax.set_xlabel(p.x_label, fontsize=8)
    ax.set_ylabel(p.y_label, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    if p.series or p.hline:
        ax.legend(fontsize=6, loc="best")
    return fig


def figure(p: Plot) -> Figure:
    if isinstance(p, Scatter):
        return scatter_figure(p)
    if isinstance(p, Heatmap):
        return heatmap_figure(p)
    return lines_figure(p)


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def inline_svg(p: Plot, salt: str) -> str:
    """The plot as an ``<svg>`` element for an HTML page: no XML prolog, DOCTYPE, metadata or
    namespace URLs (an HTML parser needs none), ids made unique by ``salt``, the title as its
    accessible label; the scatter's points are the group ``class="points"``."""
    from matplotlib import rc_context

    buf = io.StringIO()
    with rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        figure(p).savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(
        r' id="[A-Za-z0-9_.]+_\d+"', "", text
    )  # figure_1, axes_1, …: unreferenced, and repeated per plot
    text = text.replace('<g id="points">', '<g class="points">')
    opening = _SVG_OPEN.search(text).group(0)
    size = " ".join(re.findall(r'\b(?:width|height|viewBox)="[^"]*"', opening))
    return _SVG_OPEN.sub(f'<svg {size} role="img" aria-label="{escape(p.title)}">', text, count=1)


def save_figure(p: Plot, stem: Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write the plot as ``stem.<format>`` for each format (PNG at 200 dpi); the files written."""
    from matplotlib import rc_context

    fig = figure(p)
    out = []
    with rc_context({"pdf.fonttype": 42}):  # TrueType in PDFs, as journals ask
        for fmt in formats:
            path = stem.with_suffix(f".{fmt}")
            fig.savefig(path, format=fmt, dpi=200, metadata={"Creator": None} if fmt != "png" else None)
            out.append(path)
    return out


def figure_stem(section: str, group: int, index: int, plot: Plot) -> str:
    """A file name (no suffix) for a plot: section, group number, plot number, title (lower-case ASCII)."""
    text = f"{section}-{group:02d}-{index:02d}-{plot.title}"
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120]
