"""Rich terminal leaderboard; rows are ranked only against rows with the same signature."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .fit import Col, dropped_note, fitted_table
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
    return sorted(
        (r for r in rows if not r.is_reference), key=lambda r: _key(r, metric, use_abs), reverse=True
    )


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
    console: Console | None = None,
    wide: bool = False,
) -> Table:
    """The ranked table of one comparable group, with as many columns as fit ``console``'s width
    (the proxy and ρ with its CI always; ``wide`` keeps every column)."""
    title = f"{'|ρ|' if use_abs else 'ρ'} leaderboard" if metric == "spearman" else "τ leaderboard"
    fracs = {r.result.topk.fraction for r in rows if r.result.topk}
    cells: dict[str, list[Any]] = defaultdict(list)
    styles: list[str | None] = []
    refs = [row for row in rows if row.is_reference]
    for rank, row in [*enumerate(ranked(rows, metric, use_abs), start=1), *[("ref", r) for r in refs]]:
        r = row.result
        input_txt = Text(r.input_kind)
        if r.input_fallback:
            input_txt = Text(f"{r.input_kind} (fallback: no data found)", style="bold yellow")
        name: str | Text = (
            f"{r.proxy}@{r.version}" if r.reference is None else Text(f"{r.reference}", style="italic")
        )
        if r.reference is None and row.source.endswith(UNVERIFIED):  # Collection.mark_unverified
            name += UNVERIFIED
        cells["#"].append(str(rank))
        cells["sig."].append("" if row_marks is None else row_marks.get(f"{row.source}::{r.proxy}", ""))
        cells["proxy"].append(name)
        cells["rho"].append(_fmt(r.spearman.value, use_abs))
        cells["rho_ci"].append(_ci(r.spearman, use_abs))
        cells["tau"].append(_fmt(r.kendall.value, use_abs))
        cells["tau_ci"].append(_ci(r.kendall, use_abs))
        cells["topk"].append(f"{r.topk.retrieval:.2f}" if r.topk else "—")
        cells["argmax"].append(_selection(r))
        cells["n"].append(str(r.n_used))
        cells["failed"].append(Text(str(r.n_failed), style="bold red" if r.n_failed else ""))
        cells["time"].append(_time(r.time_per_arch_s))
        cells["input"].append(input_txt)
        styles.append("dim" if r.reference is not None else None)
    for c in ceilings or []:
        for key, value in (
            ("#", "ceil"),
            ("sig.", ""),
            ("proxy", Text("noise ceiling", style="italic")),
            ("rho", _fmt(c.spearman_mean)),
            ("rho_ci", "—"),
            ("tau", _fmt(c.kendall_mean)),
            ("tau_ci", "—"),
            ("topk", "—"),
            ("argmax", "—"),
            ("n", str(min(p.n for p in c.pairs))),
            ("failed", "—"),
            ("time", "—"),
            ("input", "—"),
        ):
            cells[key].append(value)
        styles.append("dim")
    rho, tau = ("|ρ|", "|τ|") if use_abs else ("Spearman ρ", "Kendall τ")
    spec = [  # (key, header, priority: 0 always, higher dropped first, justify, wrap)
        ("#", "#", 0, "right", False),
        ("sig.", "sig.", 1, "left", False),
        ("proxy", "proxy", 0, "left", False),
        ("rho", rho, 0, "right", False),
        ("rho_ci", "95% CI", 0, "right", False),
        ("tau", tau, 6, "right", False),
        ("tau_ci", "τ 95% CI", 8, "right", False),
        ("topk", f"top-{100 * fracs.pop():g}%" if len(fracs) == 1 else "top-k", 4, "right", False),
        ("argmax", "argmax acc (rank)", 7, "right", False),
        ("n", "n", 5, "right", False),
        ("failed", "failed", 2, "right", False),
        ("time", "time/arch", 5, "right", False),
        ("input", "input", 3, "left", True),
    ]
    if row_marks is None:
        spec = [s for s in spec if s[0] != "sig."]
    if metric == "kendall":  # the ranked metric is essential, the other optional
        spec = [
            (k, h, {"rho": 6, "rho_ci": 8, "tau": 0, "tau_ci": 0}.get(k, p), j, w) for k, h, p, j, w in spec
        ]
    cols = [Col(header, cells[key], priority, justify, wrap) for key, header, priority, justify, wrap in spec]
    table, dropped = fitted_table(
        console or Console(), cols, styles, wide=wide, title=title, caption_justify="left"
    )
    caption = signature
    if row_marks is not None and "sig." not in dropped:
        caption += (
            "\nsig.: ≈↑ not significantly different from the row above, ≈1 from the top row "
            "(paired bootstrap of the ρ difference on the same architectures, 95%; no mark: different)"
        )
    if dropped:
        caption += "\n" + dropped_note(dropped)
    table.caption = caption
    return table


def render(
    runs: list[tuple[str, RunResult]],
    console: Console,
    metric: str = "spearman",
    use_abs: bool = False,
    row_marks: dict[str, dict[str, str]] | None = None,
    wide: bool = False,
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
        console.print(
            Group(
                leaderboard_table(
                    sig,
                    rows,
                    metric,
                    use_abs,
                    group_marks,
                    list(ceilings.values()),
                    console=console,
                    wide=wide,
                )
            )
        )
        for c in ceilings.values():
            console.print(
                f"  [dim]noise ceiling: {c.target}, seed vs seed of {c.oracle}"
                f"{f'; {c.note}' if c.note else ''}[/]",
                highlight=False,
            )
        for row in rows:
            if row.result.not_applicable:
                console.print(
                    f"  [yellow]{row.result.proxy}[/]: not applicable: {row.result.not_applicable}",
                    highlight=False,
                )
            print_failures(console, row.result)
    return len(groups)


def top_reasons(result: ProxyResult, k: int = 3) -> tuple[list[tuple[int, str]], int]:
    """The ``k`` most frequent failure reasons with their counts, and how many reasons are left
    out (files written before reasons were recorded give the exception types only)."""
    pairs = [(len(g.archs), g.reason) for g in result.failures]
    if not pairs:
        pairs = sorted(((n, kind) for kind, n in result.failure_reasons.items()), key=lambda p: -p[0])
    return pairs[:k], max(0, len(pairs) - k)


def print_failures(console: Console, result: ProxyResult, where: str = "", k: int = 3) -> None:
    """A proxy's failures under its table: how many, how they were treated, the top reasons."""
    if not result.n_failed:
        return
    console.print(
        Text.assemble(
            "  ",
            (result.proxy, "red"),
            f"{where}: {result.n_failed} of {result.n} architectures failed, {result.failure_treatment}",
        )
    )
    reasons, rest = top_reasons(result, k)
    for n, why in reasons:
        console.print(Text(f"    ×{n} {why}"), highlight=False)
    if rest:
        console.print(
            Text(f"    … {rest} more reasons (the results JSON lists every one under 'failures')"),
            highlight=False,
        )
