"""The suite leaderboard: rows of suite-result files, grouped by comparable key, ranked by the
suite's headline metric, with the reason why groups are kept apart spelled out.

A row belongs to the group of its comparable key (``standard_schema.comparable_key``). A proxy
that read no input (its key says ``input:*``) is also placed in every group whose key equals
its own but for the input fields: its numbers do not depend on the batch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .render import _time
from .standard_schema import StandardResult, StandardRow, comparable_key

SHORT = {"cifar10": "C10", "cifar10-valid": "C10", "cifar100": "C100", "ImageNet16-120": "IN16"}
HEADLINES = {"mean_spearman": "mean ρ"}


@dataclass(frozen=True)
class SuiteRow:
    row: StandardRow
    source: str  # file name (or "this run")
    result: StandardResult

    @property
    def key(self) -> str:
        return comparable_key(self.result.suite.id, self.row)

    @property
    def ident(self) -> str:
        return f"{self.source}::{self.row.proxy}"


def suite_rows(results: list[tuple[str, StandardResult]]) -> list[SuiteRow]:
    return [SuiteRow(row, source, res) for source, res in results for row in res.rows]


def _fields(key: str) -> dict[str, str]:
    """comparable key → {"suite": id, "cifar10.input": "noise(...)", ...}."""
    out: dict[str, str] = {}
    for part in key.split(" ‖ "):
        if part.startswith("suite:"):
            out["suite"] = part[len("suite:"):]
            continue
        name, _, sig = part.partition("=")
        for f in sig.split("|"):
            field, _, value = f.partition(":")
            out[f"{name}.{field}"] = value
    return out


def _matches(a: str, b: str) -> bool:
    """Equal keys but for ``*`` fields (on either side)."""
    fa, fb = _fields(a), _fields(b)
    return fa.keys() == fb.keys() and all(v == fb[k] or "*" in (v, fb[k]) for k, v in fa.items())


def group_suite_rows(rows: list[SuiteRow]) -> dict[str, list[SuiteRow]]:
    """Comparable key → rows. Keys without ``*`` fields found groups; a row whose key has ``*``
    fields joins every group it matches (or, matching none, founds one)."""
    exact: dict[str, list[SuiteRow]] = defaultdict(list)
    for r in rows:
        exact[r.key].append(r)
    groups: dict[str, list[SuiteRow]] = {}
    for key in sorted(exact, key=lambda k: sum(v == "*" for v in _fields(k).values())):
        homes = [g for g in groups if _matches(key, g)]
        for home in homes:
            groups[home].extend(exact[key])
        if not homes:
            groups[key] = list(exact[key])
    return groups


def differences(keys: list[str]) -> list[str]:
    """Human-readable fields on which comparable keys differ, e.g. ``cifar10.input: noise(…) vs …``."""
    parsed = [_fields(k) for k in keys]
    names = sorted(set().union(*parsed)) if parsed else []
    out = []
    for name in names:
        values = list(dict.fromkeys(p.get(name, "—") for p in parsed if p.get(name) != "*"))
        if len(values) > 1:
            out.append(f"{name}: {' vs '.join(values)}")
    return out


def ranked_suite(rows: list[SuiteRow]) -> list[SuiteRow]:
    """Best headline first; rows without a headline (a dataset failed entirely) last."""
    return sorted(rows, key=lambda r: (r.row.headline is None, -(r.row.headline or 0.0)))


def _f(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def suite_table(key: str, rows: list[SuiteRow], row_marks: dict[str, str] | None = None) -> Table:
    first = rows[0].result
    datasets = [d for d in first.suite.definition.get("datasets", [])]
    headline = HEADLINES.get(first.suite.headline, first.suite.headline)
    search = first.suite.definition.get("search") or {}
    caption = (f"suite {first.suite.id}; sorted by {headline} (signed Spearman ρ averaged over "
               f"{', '.join(datasets)}); top-{100 * float(first.suite.definition.get('top_fraction', 0.1)):g}% = "
               "retrieval of the true top set, mean over datasets")
    if search:
        caption += (f"; search = {search['strategy']['name']} with the proxy, budget {search['budget']}, "
                    f"{search['repeats']} repeats on {', '.join(search['datasets'])}: chosen arch's accuracy, mean ± std")
    if row_marks is not None:
        caption += ("\nsig.: ≈↑ not significantly different from the row above, ≈1 from the top row (paired bootstrap "
                    "of the mean-ρ difference, architectures resampled jointly across datasets, 95%; no mark: different)")
    fields = _fields(key)
    common = [f"{k.split('.', 1)[1]}:{v}" for k, v in fields.items()
              if k.startswith(f"{datasets[0]}.") and k.split(".", 1)[1] in ("space", "oracle", "sample", "input", "init", "harness")]
    caption += "\n" + "|".join(common)
    table = Table(title=f"{first.suite.name} leaderboard ({first.suite.id})", caption=caption, caption_justify="left")
    table.add_column("#", justify="right")
    if row_marks is not None:
        table.add_column("sig.")
    table.add_column("proxy")
    table.add_column(headline, justify="right", style="bold")
    for d in datasets:
        table.add_column(f"ρ {SHORT.get(d, d)}", justify="right")
    table.add_column(f"top-{100 * float(first.suite.definition.get('top_fraction', 0.1)):g}%", justify="right")
    table.add_column("search acc", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("time/arch", justify="right")
    table.add_column("input")
    table.add_column("source")
    for rank, r in enumerate(ranked_suite(rows), start=1):
        row = r.row
        tops = [v for v in row.top_retrieval.values() if v is not None]
        acc = row.search_accuracy
        failed = sum(row.n_failed.values())
        inp = Text("none") if not row.reads_input else Text(_input_kind(r), style="bold yellow" if row.input_fallback else "")
        table.add_row(
            str(rank),
            *([] if row_marks is None else [row_marks.get(r.ident, "")]),
            f"{row.proxy}@{row.version}",
            _f(row.headline),
            *[_f(row.spearman.get(d)) for d in datasets],
            _f(sum(tops) / len(tops), 2) if tops else "—",
            "—" if acc is None or acc.mean is None else f"{acc.mean:.2f} ± {acc.std:.2f}",
            Text(str(failed), style="bold red" if failed else ""),
            _time(row.time_per_arch_s),
            inp,
            Path(r.source).name,
        )
    return table


def _input_kind(r: SuiteRow) -> str:
    kinds = {run.input.get("kind", "?") for run in r.result.runs}
    text = ", ".join(sorted(kinds))
    return f"{text} (fallback: no data found)" if r.row.input_fallback else text


def render_suites(
    results: list[tuple[str, StandardResult]],
    console: Console,
    row_marks: dict[str, dict[str, str]] | None = None,
) -> dict[str, list[SuiteRow]]:
    """Print one ranked table per comparable group and say why groups are apart; the groups."""
    groups = group_suite_rows(suite_rows(results))
    if len(groups) > 1:
        console.print(f"[bold yellow]not comparable:[/] {len(groups)} groups of suite results differ in what they "
                      "measured; each is ranked on its own, never against another. They differ in:")
        for line in differences(list(groups)):
            console.print(f"  • {line}", highlight=False)
    for key, rows in groups.items():
        console.print(suite_table(key, rows, (row_marks or {}).get(key)))
        for r in rows:
            failed = {d: n for d, n in r.row.n_failed.items() if n}
            if failed:
                console.print(f"  [red]{r.row.proxy}[/]: failed on " + ", ".join(f"{n} archs of {d}" for d, n in failed.items()))
    return groups
