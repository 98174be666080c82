"""Rich terminal leaderboard; rows are ranked only against rows with the same signature."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .schema import CeilingRecord, ProxyResult, RunResult, comparable_part

UNVERIFIED = " (unverified)"  # appended to the source of rows not from a verified submission


@dataclass(frozen=True)
class Row:
    result: ProxyResult
    source: str  # results file (or "this run")

    @property
    def is_reference(self) -> bool:
        return self.result.reference is not None


def group_rows(runs: Iterable[tuple[str, RunResult]], references: bool = False) -> dict[str, list[Row]]:
    """Rows grouped by the comparable part of their signature (reference rows only if asked)."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for source, run in runs:
        for res in [*run.results, *(run.references if references else [])]:
            groups[comparable_part(res.signature)].append(Row(res, source))
    return dict(groups)


def _key(row: Row, metric: str, use_abs: bool) -> float:
    corr = getattr(row.result, metric)
    if corr.value is None:
        return float("-inf")
    return abs(corr.value) if use_abs else corr.value


def ranked(rows: list[Row], metric: str = "spearman", use_abs: bool = False) -> list[Row]:
    """Proxy rows, best first; reference rows are never ranked."""
    return sorted((r for r in rows if not r.is_reference), key=lambda r: _key(r, metric, use_abs), reverse=True)


def default_marks(
    runs: list[tuple[str, RunResult]], rows: list[Row], metric: str, use_abs: bool
) -> dict[str, str] | None:
    """Significance marks for a group whose rows all come from one run, in the order the run
    tested them (signed Spearman); None when they cannot be shown for this view."""
    sources = {row.source for row in rows if not row.is_reference}
    if metric != "spearman" or use_abs or len(sources) != 1:
        return None
    source = sources.pop()
    run = next(r for s, r in runs if s == source)
    if not run.significance:
        return None
    return {f"{source}::{k}": v for k, v in marks(run.significance).items()}


def marks(records) -> dict[str, str]:
    """Row marks from paired comparisons (see ``harness.protocols.compare.marks``)."""
    tops = {r.b for r in records if r.relation == "top"}
    out: dict[str, set[str]] = {}
    for r in records:
        if r.significant or r.diff is None:
            continue
        if r.relation == "above":
            out.setdefault(r.a, set()).add("≈↑")
            if r.b in tops or not tops:
                out[r.a].add("≈1")
        else:
            out.setdefault(r.a, set()).add("≈1")
    return {k: " ".join(m for m in ("≈↑", "≈1") if m in v) for k, v in out.items()}


def signature_differences(signatures: list[str]) -> list[str]:
    """The fields on which signatures (or their comparable parts) differ: ``input: noise(…) vs …``."""
    parsed = [dict(f.partition(":")[::2] for f in sig.split("|")) for sig in signatures]
    names = list(dict.fromkeys(k for p in parsed for k in p if k != "proxy"))
    out = []
    for name in names:
        values = list(dict.fromkeys(p.get(name, "—") for p in parsed))
        if len(values) > 1:
            out.append(f"{name}: {' vs '.join(values)}")
    return out


def _fmt(value: float | None, use_abs: bool = False) -> str:
    if value is None:
        return "—"
    return f"{abs(value) if use_abs else value:.3f}"


def _ci(corr, use_abs: bool) -> str:
    if corr.ci is None:
        return "—"
    low, high = corr.ci.low, corr.ci.high
    if use_abs and corr.value is not None and corr.value < 0:
        low, high = -high, -low
    return f"[{low:.3f}, {high:.3f}]"


def _selection(r: ProxyResult) -> str:
    sel = r.selection
    if sel is None:
        return "—"
    tie = f" ×{sel.tied} tied" if sel.tied > 1 else ""
    return f"{sel.target:.2f} ({sel.rank}){tie}"


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def leaderboard_table(
    signature: str,
    rows: list[Row],
    metric: str = "spearman",
    use_abs: bool = False,
    row_marks: dict[str, str] | None = None,
    ceilings: list[CeilingRecord] | None = None,
) -> Table:
    title = f"{'|ρ|' if use_abs else 'ρ'} leaderboard" if metric == "spearman" else "τ leaderboard"
    caption = signature
    if row_marks is not None:
        caption += (
            "\nsig.: ≈↑ not significantly different from the row above, ≈1 from the top row "
            "(paired bootstrap of the ρ difference on the same architectures, 95%; no mark: different)"
        )
    table = Table(title=title, caption=caption, caption_justify="left", show_lines=False)
    table.add_column("#", justify="right")
    if row_marks is not None:
        table.add_column("sig.")
    table.add_column("proxy")
    table.add_column("|ρ|" if use_abs else "Spearman ρ", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("|τ|" if use_abs else "Kendall τ", justify="right")
    table.add_column("95% CI", justify="right")
    fracs = {r.result.topk.fraction for r in rows if r.result.topk}
    table.add_column(f"top-{100 * fracs.pop():g}%" if len(fracs) == 1 else "top-k", justify="right")
    table.add_column("argmax acc (rank)", justify="right")
    table.add_column("n", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("time/arch", justify="right")
    table.add_column("input")
    refs = [row for row in rows if row.is_reference]
    for rank, row in [*enumerate(ranked(rows, metric, use_abs), start=1), *[("ref", r) for r in refs]]:
        r = row.result
        input_txt = Text(r.input_kind)
        if r.input_fallback:
            input_txt = Text(f"{r.input_kind} (fallback: no data found)", style="bold yellow")
        failed = Text(str(r.n_failed), style="bold red" if r.n_failed else "")
        mark = [] if row_marks is None else [row_marks.get(f"{row.source}::{r.proxy}", "")]
        name = f"{r.proxy}@{r.version}" if r.reference is None else Text(f"{r.reference}", style="italic")
        if r.reference is None and row.source.endswith(UNVERIFIED):  # Collection.mark_unverified
            name += UNVERIFIED
        table.add_row(
            str(rank),
            *mark,
            name,
            _fmt(r.spearman.value, use_abs),
            _ci(r.spearman, use_abs),
            _fmt(r.kendall.value, use_abs),
            _ci(r.kendall, use_abs),
            f"{r.topk.retrieval:.2f}" if r.topk else "—",
            _selection(r),
            str(r.n_used),
            failed,
            _time(r.time_per_arch_s),
            input_txt,
            style="dim" if r.reference is not None else None,
        )
    for c in ceilings or []:
        table.add_row(
            "ceil",
            *([""] if row_marks is not None else []),
            Text(f"noise ceiling: {c.target} seed vs seed ({c.oracle})", style="italic"),
            _fmt(c.spearman_mean), "—", _fmt(c.kendall_mean), "—", "—", "—",
            str(min(p.n for p in c.pairs)), "—", "—", "—",
            style="dim",
        )
    return table


def render(
    runs: list[tuple[str, RunResult]],
    console: Console,
    metric: str = "spearman",
    use_abs: bool = False,
    row_marks: dict[str, dict[str, str]] | None = None,
) -> int:
    """Print one ranked table per comparable group; returns the number of groups.

    Reference rows (ground truth used as a score) and noise ceilings are shown under the ranked
    proxies. ``row_marks`` (group signature → {"source::proxy": mark}) overrides the
    significance marks a single run carries.
    """
    groups = group_rows(runs, references=True)
    if len(groups) > 1:
        console.print(
            f"[bold yellow]{len(groups)} groups of results have different signatures; they are "
            f"not comparable and are ranked separately, never against each other. They differ in:[/]"
        )
        for line in signature_differences(list(groups)):
            console.print(f"  • {line}", highlight=False)
    for sig, rows in groups.items():
        group_marks = (row_marks or {}).get(sig) or default_marks(runs, rows, metric, use_abs)
        sources = {row.source for row in rows}
        ceilings = {}
        for source, run in runs:
            if source in sources and run.ceiling is not None:
                ceilings.setdefault((run.ceiling.oracle, run.ceiling.target), run.ceiling)
        console.print(Group(leaderboard_table(sig, rows, metric, use_abs, group_marks, list(ceilings.values()))))
        for c in ceilings.values():
            if c.note:
                console.print(f"  [dim]noise ceiling: {c.note}[/]")
        for row in rows:
            if row.result.not_applicable:
                console.print(f"  [yellow]{row.result.proxy}[/]: not applicable: {row.result.not_applicable}",
                              highlight=False)
        failed = [row.result for row in rows if row.result.failure_reasons]
        for res in failed:
            reasons = ", ".join(f"{k} ×{v}" for k, v in res.failure_reasons.items())
            console.print(f"  [red]{res.proxy}[/]: {res.n_failed} failed ({reasons}); {res.failure_treatment}")
    return len(groups)
