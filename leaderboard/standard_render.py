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
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .cross_render import cross_table, is_cross, print_na, rank_table
from .fit import Col, dropped_note, fitted_table
from .render import _time, print_failures
from .standard_schema import StandardResult, StandardRow, comparable_key

SHORT = {"cifar10": "C10", "cifar10-valid": "C10", "cifar100": "C100", "ImageNet16-120": "IN16"}
HEADLINES = {"mean_spearman": "mean ρ", "mean_benchmark_spearman": "mean ρ over benchmarks"}


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

    @property
    def is_reference(self) -> bool:
        """A row of a published reference leaderboard (``nas_harness.reference``), marked "(ref)"."""
        return self.source.startswith(REFERENCE_LABEL)

    @property
    def label(self) -> str:
        """The proxy cell: name@version, "(ref)" on a reference row."""
        return f"{self.row.proxy}@{self.row.version}" + (" (ref)" if self.is_reference else "")


REFERENCE_LABEL = (
    "reference "  # source of rows from a published reference leaderboard (nash_harness.reference)
)


def suite_rows(results: list[tuple[str, StandardResult]]) -> list[SuiteRow]:
    return [SuiteRow(row, source, res) for source, res in results for row in res.rows]


def _fields(key: str) -> dict[str, str]:
    """comparable key → {"suite": id, "cifar10.input": "noise(...)", ...}."""
    out: dict[str, str] = {}
    for part in key.split(" ‖ "):
        if part.startswith("suite:"):
            out["suite"] = part[len("suite:") :]
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


def _common(key: str) -> str:
    """The signature fields shared by a cross-space group's columns (harness, init), once."""
    fields = _fields(key)
    shared = {}
    for k, v in fields.items():
        if "." in k and k.split(".", 1)[1] in ("init", "harness"):
            shared.setdefault(k.split(".", 1)[1], set()).add(v)
    return "|".join(f"{k}:{'/'.join(sorted(v))}" for k, v in shared.items())


def ranked_suite(rows: list[SuiteRow]) -> list[SuiteRow]:
    """Best headline first; rows without a headline (a dataset failed entirely) last."""
    return sorted(rows, key=lambda r: (r.row.headline is None, -(r.row.headline or 0.0)))


def _f(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def suite_table(
    key: str,
    rows: list[SuiteRow],
    row_marks: dict[str, str] | None = None,
    console: Console | None = None,
    wide: bool = False,
) -> Table:
    """The ranked table of one comparable group of suite rows, as many columns as fit ``console``
    (rank, proxy and the headline always; ``wide`` keeps every column)."""
    first = rows[0].result
    if is_cross(first):
        return cross_table(key, rows, row_marks, console or Console(), wide, ranked_suite(rows), _common(key))
    datasets = [d for d in first.suite.definition.get("datasets", [])]
    headline = HEADLINES.get(first.suite.headline, first.suite.headline)
    search = first.suite.definition.get("search") or {}
    caption = (
        f"suite {first.suite.id}; sorted by {headline} (signed Spearman ρ averaged over "
        f"{', '.join(datasets)}); top-{100 * float(first.suite.definition.get('top_fraction', 0.1)):g}% = "
        "retrieval of the true top set, mean over datasets"
    )
    if search:
        caption += (
            f"; search = {search['strategy']['name']} with the proxy, budget {search['budget']}, "
            f"{search['repeats']} repeats on {', '.join(search['datasets'])}: chosen arch's accuracy, mean ± std"
        )
    sig_note = (
        "\nsig.: ≈↑ not significantly different from the row above, ≈1 from the top row (paired bootstrap "
        "of the mean-ρ difference, architectures resampled jointly across datasets, 95%; no mark: different)"
    )
    fields = _fields(key)
    common = [
        f"{k.split('.', 1)[1]}:{v}"
        for k, v in fields.items()
        if k.startswith(f"{datasets[0]}.")
        and k.split(".", 1)[1] in ("space", "oracle", "sample", "input", "init", "harness")
    ]
    caption += "\n" + "|".join(common)
    top = f"top-{100 * float(first.suite.definition.get('top_fraction', 0.1)):g}%"
    cells: dict[str, list[Any]] = defaultdict(list)
    for rank, r in enumerate(ranked_suite(rows), start=1):
        row = r.row
        tops = [v for v in row.top_retrieval.values() if v is not None]
        acc = row.search_accuracy
        failed = sum(row.n_failed.values())
        cells["#"].append(str(rank))
        cells["sig."].append("" if row_marks is None else row_marks.get(r.ident, ""))
        cells["proxy"].append(r.label)
        cells["headline"].append(_f(row.headline))
        for d in datasets:
            cells[f"rho {d}"].append(_f(row.spearman.get(d)))
        cells["top"].append(_f(sum(tops) / len(tops), 2) if tops else "—")
        cells["search"].append("—" if acc is None or acc.mean is None else f"{acc.mean:.2f} ± {acc.std:.2f}")
        cells["failed"].append(Text(str(failed), style="bold red" if failed else ""))
        cells["time"].append(_time(row.time_per_arch_s))
        cells["input"].append(
            Text("none")
            if not row.reads_input
            else Text(_input_kind(r), style="bold yellow" if row.input_fallback else "")
        )
        cells["source"].append(Path(r.source).name)
    cols = [Col("#", cells["#"], 0, "right")]
    if row_marks is not None:
        cols.append(Col("sig.", cells["sig."], 1))
    cols += [Col("proxy", cells["proxy"]), Col(headline, cells["headline"], 0, "right", style="bold")]
    cols += [Col(f"ρ {SHORT.get(d, d)}", cells[f"rho {d}"], 3, "right") for d in datasets]
    cols += [
        Col(top, cells["top"], 4, "right"),
        Col("search acc", cells["search"], 5, "right"),
        Col("failed", cells["failed"], 2, "right"),
        Col("time/arch", cells["time"], 6, "right"),
        Col("input", cells["input"], 7, wrap=True),
        Col("source", cells["source"], 8, wrap=True),
    ]
    table, dropped = fitted_table(
        console or Console(),
        cols,
        wide=wide,
        title=f"{first.suite.name} leaderboard ({first.suite.id})",
        caption_justify="left",
    )
    if row_marks is not None and "sig." not in dropped:
        caption += sig_note
    table.caption = caption + ("\n" + dropped_note(dropped) if dropped else "")
    return table


def _input_kind(r: SuiteRow) -> str:
    kinds = {run.input.get("kind", "?") for run in r.result.runs}
    text = ", ".join(sorted(kinds))
    return f"{text} (fallback: no data found)" if r.row.input_fallback else text


def render_suites(
    results: list[tuple[str, StandardResult]],
    console: Console,
    row_marks: dict[str, dict[str, str]] | None = None,
    wide: bool = False,
) -> dict[str, list[SuiteRow]]:
    """Print one ranked table per comparable group and say why groups are apart; the groups."""
    groups = group_suite_rows(suite_rows(results))
    if len(groups) > 1:
        console.print(
            f"[bold yellow]not comparable:[/] {len(groups)} groups of suite results differ in what they "
            "measured; each is ranked on its own, never against another. They differ in:"
        )
        for line in differences(list(groups)):
            console.print(f"  • {line}", highlight=False)
    for key, rows in groups.items():
        console.print(suite_table(key, rows, (row_marks or {}).get(key), console=console, wide=wide))
        if is_cross(rows[0].result):
            print_na(console, ranked_suite(rows))
            console.print(rank_table(rows, ranked_suite(rows), console, wide))
        for r in rows:
            for run in r.result.runs:
                for res in run.results:
                    if res.proxy == r.row.proxy:
                        print_failures(console, res, where=f" on {run.config.get('dataset', '?')}")
    return groups
