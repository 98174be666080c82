"""The leaderboard of a cross-space suite (``standard@2``): the headline with its interval, a column
per benchmark, each proxy's rank per benchmark (so rank flips show at a glance) and top-k % per
benchmark. A benchmark or task a proxy cannot score reads "n/a" with the reason below the table,
never 0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .fit import Col, dropped_note, fitted_table
from .render import _time

NA = "n/a"


def is_cross(result) -> bool:
    """Whether a suite result comes from a cross-space suite."""
    return result.suite.benchmarks is not None


def _f(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def benchmark_cell(row, bench: str) -> str:
    """ρ of ``row`` on ``bench``; n/a when it scores none of its tasks; a * when it skips some."""
    if row.benchmarks is None or bench not in row.benchmarks:
        return NA
    return _f(row.benchmarks[bench])


def headline_cell(row, n_benchmarks: int) -> str:
    text = _f(row.headline)
    covered = len(row.benchmarks or {})
    return text if covered == n_benchmarks or row.headline is None else f"{text} ({covered}/{n_benchmarks})"


def ci_cell(row) -> str:
    ci = row.headline_ci
    return "—" if not ci else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def benchmark_ranks(rows: list) -> dict[str, dict[str, int | None]]:
    """benchmark → row ident → rank among ``rows`` by that benchmark's ρ (1 = best; None: n/a or
    no ρ). Ties share the better rank."""
    first = rows[0].result
    out: dict[str, dict[str, int | None]] = {}
    for bench in first.suite.benchmarks:
        values = {r.ident: (r.row.benchmarks or {}).get(bench) for r in rows}
        ranked = sorted((v for v in values.values() if v is not None), reverse=True)
        out[bench] = {k: (None if v is None else ranked.index(v) + 1) for k, v in values.items()}
    return out


@dataclass(frozen=True)
class NaNote:
    proxy: str
    reason: str
    columns: tuple[str, ...]
    kind: str = "n/a"  # "n/a": left out of the headline; "ρ 0": ranks nothing, counted as 0


def na_notes(rows: list) -> list[NaNote]:
    """Every (proxy, reason) with the columns it covers, in row order: the columns a proxy cannot
    score, then those where it ranks nothing (every score equal)."""
    out: list[NaNote] = []
    for r in rows:
        for kind, notes in (("n/a", r.row.not_applicable), ("ρ 0", r.row.ranks_nothing or {})):
            by_reason: dict[str, list[str]] = defaultdict(list)
            for column, why in notes.items():
                by_reason[why].append(column)
            out += [NaNote(r.row.proxy, why, tuple(cols), kind) for why, cols in by_reason.items()]
    return out


def cross_table(
    key: str,
    rows: list,
    row_marks: dict[str, str] | None,
    console: Console,
    wide: bool,
    ordered: list,
    common: str,
) -> Table:
    """The ranked table of one comparable group of cross-space rows (``ordered``: best first)."""
    first = rows[0].result
    benches = list(first.suite.benchmarks)
    definition = first.suite.definition
    top = f"top-{100 * float(definition.get('top_fraction', 0.1)):g}%"
    cells: dict[str, list[Any]] = defaultdict(list)
    for rank, r in enumerate(ordered, start=1):
        row = r.row
        failed = sum(row.n_failed.values())
        tops = [v for v in (row.top_benchmarks or {}).values() if v is not None]
        cells["#"].append(str(rank))
        cells["sig."].append("" if row_marks is None else row_marks.get(r.ident, ""))
        cells["proxy"].append(r.label)
        cells["headline"].append(headline_cell(row, len(benches)))
        cells["ci"].append(ci_cell(row))
        for b in benches:
            cell = benchmark_cell(row, b)
            cells[b].append(Text(cell, style="dim italic") if cell == NA else cell)
        cells["top"].append(_f(sum(tops) / len(tops), 2) if tops else "—")
        cells["failed"].append(Text(str(failed), style="bold red" if failed else ""))
        cells["na"].append(str(len(row.not_applicable)))
        cells["time"].append(_time(row.time_per_arch_s))
        cells["source"].append(Path(r.source).name)
    cols = [Col("#", cells["#"], 0, "right")]
    if row_marks is not None:
        cols.append(Col("sig.", cells["sig."], 1))
    cols += [
        Col("proxy", cells["proxy"]),
        Col("mean ρ", cells["headline"], 0, "right", style="bold"),
        Col("95% CI", cells["ci"], 2, "right"),
    ]
    cols += [Col(f"ρ {b}", cells[b], 3, "right") for b in benches]
    cols += [
        Col(top, cells["top"], 5, "right"),
        Col("failed", cells["failed"], 4, "right"),
        Col("n/a tasks", cells["na"], 6, "right"),
        Col("time/arch", cells["time"], 7, "right"),
        Col("source", cells["source"], 8, wrap=True),
    ]
    table, dropped = fitted_table(
        console,
        cols,
        wide=wide,
        title=f"{first.suite.name} leaderboard ({first.suite.id})",
        caption_justify="left",
    )
    caption = (
        f"suite {first.suite.id}; sorted by mean ρ: the signed Spearman ρ averaged over each benchmark's tasks, "
        f"then over the {len(benches)} benchmarks (each weighted once); 95% CI: bootstrap over architectures "
        "(resampled within each benchmark, jointly across its tasks); (k/K): the proxy applies to k benchmarks; "
        f"{top}: retrieval of the true top set, mean over benchmarks; n/a: not applicable (never 0), reasons below"
    )
    if row_marks is not None and "sig." not in dropped:
        caption += (
            "\nsig.: ≈↑ not significantly different from the row above, ≈1 from the top row (paired bootstrap "
            "of the mean-ρ difference, same resamples for both rows, 95%; no mark: different)"
        )
    caption += "\n" + common
    table.caption = caption + ("\n" + dropped_note(dropped) if dropped else "")
    return table


def rank_table(rows: list, ordered: list, console: Console, wide: bool) -> Table:
    """Each proxy's rank per benchmark beside its overall rank; a rank that differs from the overall
    one by 2 or more is highlighted (a flip)."""
    first = rows[0].result
    benches = list(first.suite.benchmarks)
    ranks = benchmark_ranks(rows)
    top = f"top-{100 * float(first.suite.definition.get('top_fraction', 0.1)):g}%"
    cells: dict[str, list[Any]] = defaultdict(list)
    for overall, r in enumerate(ordered, start=1):
        cells["proxy"].append(r.label)
        cells["overall"].append(str(overall))
        for b in benches:
            rank = ranks[b][r.ident]
            top_value = (r.row.top_benchmarks or {}).get(b)
            if rank is None:
                cells[b].append(Text(NA if b not in (r.row.benchmarks or {}) else "—", style="dim italic"))
                continue
            style = "bold green" if rank < overall - 1 else "bold red" if rank > overall + 1 else ""
            cells[b].append(Text(f"{rank} ({_f(top_value, 2)})", style=style))
    cols = [Col("proxy", cells["proxy"]), Col("overall", cells["overall"], 0, "right", style="bold")]
    cols += [Col(b, cells[b], 1, "right") for b in benches]
    table, dropped = fitted_table(
        console, cols, wide=wide, title=f"rank per benchmark ({first.suite.id})", caption_justify="left"
    )
    table.caption = (
        f"rank among these proxies by each benchmark's mean ρ (1 = best), with its {top} retrieval in "
        "parentheses; green: two or more places better than overall, red: two or more worse"
        + ("\n" + dropped_note(dropped) if dropped else "")
    )
    return table


def print_na(console: Console, rows: list) -> None:
    for note in na_notes(rows):
        console.print(
            f"  {note.kind}: {note.proxy} on {', '.join(note.columns)}: {note.reason}",
            highlight=False,
            soft_wrap=True,
        )
