"""Rich tables for a run's analyses: score–score heat table (P14), cost (P18), score groups (P5)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from .schema import RunResult, ScoreCorrelationRecord


def _heat(value: float | None) -> Text:
    """ρ on a diverging scale: strong agreement green, strong disagreement red."""
    if value is None:
        return Text("—", style="dim")
    a = abs(value)
    colour = "green" if value >= 0 else "red"
    style = (
        f"bold white on {colour}"
        if a >= 0.8
        else f"black on {colour}"
        if a >= 0.6
        else (colour if a >= 0.3 else "dim")
    )
    return Text(f"{value:+.2f}", style=style)


def score_corr_table(record: ScoreCorrelationRecord, title: str = "score–score Spearman ρ") -> Table:
    table = Table(title=title, caption=record.note, caption_justify="left")
    table.add_column("")
    for name in record.names:
        table.add_column(name, justify="right", no_wrap=True)
    for name, row in zip(record.names, record.matrix):
        table.add_row(name, *[_heat(v) for v in row])
    return table


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def _hours(h: float | None) -> str:
    if h is None:
        return "—"
    return f"{h * 3600:.1f} s" if h < 1 / 60 else f"{h * 60:.1f} min" if h < 1 else f"{h:.2f} h"


def cost_table(run: RunResult, title: str = "cost (P18)") -> Table:
    env = run.environment
    caption = (
        f"hardware: {env.cpu}, device {env.device}, {env.torch_threads} torch threads; times as recorded "
        "when each score was computed (reused scores keep theirs); a shared probe is charged to the "
        "first proxy that computes it"
    )
    table = Table(title=title, caption=caption, caption_justify="left")
    for col, just in (
        ("proxy", "left"),
        ("timed", "right"),
        ("wall / arch (mean)", "right"),
        ("wall / arch (median)", "right"),
        ("CPU / arch", "right"),
        ("whole space", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in run.results:
        c = r.cost
        if c is None:
            table.add_row(r.proxy, "—", _time(r.time_per_arch_s), "—", "—", "—")
            continue
        space = f"{_hours(c.space_wall_h)} ({c.space_size:,} archs)" if c.space_size else "—"
        table.add_row(
            r.proxy, str(c.timed), _time(c.wall_mean_s), _time(c.wall_median_s), _time(c.cpu_mean_s), space
        )
    return table


def _f(value: float | None, spec: str = ".3f") -> str:
    return "—" if value is None else format(value, spec)


def groups_table(run: RunResult, title: str = "equal-score groups (P5)") -> Table:
    caption = (
        "ρ(min): Spearman between each distinct score and the minimum target of its archs (SED's statistic); "
        "within var: pooled target variance inside tied groups vs random groups of the same sizes; "
        "p: share of random groupings at least as homogeneous"
    )
    table = Table(title=title, caption=caption, caption_justify="left")
    for col in (
        "proxy",
        "values",
        "tied groups",
        "tied archs",
        "largest",
        "ρ(min)",
        "ρ(mean)",
        "ρ(max)",
        "within var",
        "random var",
        "p",
    ):
        table.add_column(col, justify="left" if col == "proxy" else "right")
    for r in run.results:
        g = r.score_groups
        if g is None:
            table.add_row(r.proxy, "all distinct", *["—"] * 9, style="dim")
            continue
        table.add_row(
            r.proxy,
            str(g.n_groups),
            str(g.n_tied_groups),
            str(g.n_tied_archs),
            str(g.largest_group),
            _f(g.spearman_min),
            _f(g.spearman_mean),
            _f(g.spearman_max),
            _f(g.within_var, ".2f"),
            _f(g.random_within_var, ".2f"),
            _f(g.p_value, ".3g"),
        )
    return table
