"""From a ``Collection`` of results files to the report's tables and plots (``ReportInputs``).

Leaderboards are ranked exactly as ``nash leaderboard`` ranks them (same groups, same marks);
scatter plots read per-architecture scores (embedded in suite results, the scores CSV beside a
run's results JSON); heatmaps are the runs' own score–score matrices (P14); sweep lines are the
sweep files' tables; search curves are the best-so-far accuracy of each search, stepped from
the change points its results keep.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nas_harness.leaderboard.cross_render import (
    benchmark_cell,
    benchmark_ranks,
    ci_cell,
    headline_cell,
    is_cross,
    na_notes,
)
from nas_harness.leaderboard.plots import Heatmap, Lines, Scatter, x_scale_for
from nas_harness.leaderboard.render import group_rows, ranked, signature_differences
from nas_harness.leaderboard.report import Cell, Group, HtmlTable, ReportInputs
from nas_harness.leaderboard.schema import RunResult
from nas_harness.leaderboard.search_render import row_label
from nas_harness.leaderboard.search_schema import SearchResult
from nas_harness.leaderboard.standard_render import (
    HEADLINES,
    SHORT,
    differences,
    group_suite_rows,
    ranked_suite,
    suite_rows,
)
from nas_harness.leaderboard.sweep_schema import SweepResult

from .analysis import leaderboard_marks, scores_of, suite_marks
from .api import HarnessError
from .collection import Collection

MISSING = {
    "leaderboard": "No suite or correlation results: run `nash run --suite standard` (or `nash run`) and give its "
    "output folder.",
    "scatter": "No per-architecture scores: suite results embed them; a run's scores CSV must sit beside its "
    "correlation-*.json (nash run writes both).",
    "heatmap": "No score–score matrices: correlation runs record one (results field score_correlations).",
    "sweep": "No sweep results: `nash sweep CONFIG --field F --values A,B,C` writes sweep-*.json (a suite result "
    "carries its dataset sweep).",
    "search": "No search results: `nash search --strategy random --proxy synflow` writes search-*.json (a suite "
    "result carries its search).",
}


def _num(v: float | None, digits: int = 3, cls: str = "") -> Cell:
    return Cell("—", "-Infinity", cls) if v is None else Cell(f"{v:.{digits}f}", v, cls)


def _time(seconds: float | None) -> Cell:
    from nas_harness.leaderboard.render import _time as fmt

    return Cell(fmt(seconds), seconds if seconds is not None else "Infinity")


def suite_tables(col: Collection) -> tuple[list[HtmlTable], list[str]]:
    groups = group_suite_rows(suite_rows(col.suites))
    marks = suite_marks(groups)
    tables = []
    for key, rows in groups.items():
        first = rows[0].result
        if is_cross(first):
            tables += cross_html_tables(rows, ranked_suite(rows), marks.get(key, {}))
            continue
        datasets = list(first.suite.definition.get("datasets", []))
        headline = HEADLINES.get(first.suite.headline, first.suite.headline)
        search = first.suite.definition.get("search") or {}
        columns = [
            "#",
            "sig.",
            "proxy",
            headline,
            *[f"ρ {SHORT.get(d, d)}" for d in datasets],
            f"top-{100 * float(first.suite.definition.get('top_fraction', 0.1)):g}%",
            "search acc",
            "failed",
            "time/arch",
            "input",
            "source",
        ]
        body = []
        for rank, r in enumerate(ranked_suite(rows), start=1):
            row = r.row
            tops = [v for v in row.top_retrieval.values() if v is not None]
            acc = row.search_accuracy
            failed = sum(row.n_failed.values())
            inp = (
                "none"
                if not row.reads_input
                else ", ".join(sorted({run.input.get("kind", "?") for run in r.result.runs}))
            )
            body.append(
                [
                    Cell(str(rank), rank),
                    Cell(marks.get(key, {}).get(r.ident, "")),
                    Cell(f"{row.proxy}@{row.version}"),
                    _num(row.headline, cls="head"),
                    *[_num(row.spearman.get(d)) for d in datasets],
                    _num(sum(tops) / len(tops) if tops else None, 2),
                    Cell("—", "-Infinity")
                    if acc is None or acc.mean is None
                    else Cell(f"{acc.mean:.2f} ± {acc.std:.2f}", acc.mean),
                    Cell(str(failed), failed, "bad" if failed else ""),
                    _time(row.time_per_arch_s),
                    Cell(
                        inp + (" (fallback: no data found)" if row.input_fallback else ""),
                        cls="fallback" if row.input_fallback else "",
                    ),
                    Cell(Path(r.source).name),
                ]
            )
        caption = (
            f"suite {first.suite.id}; sorted by {headline} (signed Spearman ρ averaged over {', '.join(datasets)}); "
            "sig.: ≈↑ not significantly different from the row above, ≈1 from the top row (paired bootstrap of "
            "the mean-ρ difference, architectures resampled jointly across datasets, 95%)"
        )
        if search:
            caption += (
                f"; search acc = accuracy of the architecture {search['strategy']['name']} chose with the proxy "
                f"(budget {search['budget']}, {search['repeats']} repeats on {', '.join(search['datasets'])}), "
                "mean ± std"
            )
        tables.append(HtmlTable(f"{first.suite.name} leaderboard — {first.suite.id}", columns, body, caption))
    return tables, differences(list(groups)) if len(groups) > 1 else []


def cross_html_tables(rows: list, ordered: list, row_marks: dict[str, str]) -> list[HtmlTable]:
    """A cross-space group: the ranked table (headline, CI, ρ per benchmark, n/a never 0) and each
    proxy's rank per benchmark beside its overall rank (a flip of two or more places is coloured)."""
    first = rows[0].result
    benches = list(first.suite.benchmarks)
    top = f"top-{100 * float(first.suite.definition.get('top_fraction', 0.1)):g}%"
    columns = ["#", "sig.", "proxy", "mean ρ", "95% CI", *[f"ρ {b}" for b in benches], top, "failed", "n/a"]
    body = []
    for rank, r in enumerate(ordered, start=1):
        row = r.row
        tops = [v for v in (row.top_benchmarks or {}).values() if v is not None]
        failed = sum(row.n_failed.values())
        per = []
        for b in benches:
            text = benchmark_cell(row, b)
            value = (row.benchmarks or {}).get(b)
            per.append(Cell(text, "-Infinity" if value is None else value))
        na = "; ".join(f"{n.reason} ({', '.join(n.columns)})" for n in na_notes([r]))
        body.append(
            [
                Cell(str(rank), rank),
                Cell(row_marks.get(r.ident, "")),
                Cell(f"{row.proxy}@{row.version}"),
                Cell(
                    headline_cell(row, len(benches)),
                    row.headline if row.headline is not None else "-Infinity",
                    "head",
                ),
                Cell(ci_cell(row)),
                *per,
                _num(sum(tops) / len(tops) if tops else None, 2),
                Cell(str(failed), failed, "bad" if failed else ""),
                Cell(na or "—"),
            ]
        )
    caption = (
        f"suite {first.suite.id}; mean ρ: the signed Spearman ρ averaged over each benchmark's tasks, then over "
        f"the {len(benches)} benchmarks (each weighted once); 95% CI: bootstrap over architectures within each "
        "benchmark; (k/K): the proxy applies to k benchmarks; n/a: not applicable (never 0), with the reason"
    )
    ranks = benchmark_ranks(rows)
    rank_body = []
    for overall, r in enumerate(ordered, start=1):
        cells = [Cell(f"{r.row.proxy}@{r.row.version}"), Cell(str(overall), overall, "head")]
        for b in benches:
            rank = ranks[b][r.ident]
            if rank is None:
                cells.append(
                    Cell(benchmark_cell(r.row, b) if b not in (r.row.benchmarks or {}) else "—", "Infinity")
                )
                continue
            flip = "good" if rank < overall - 1 else "bad" if rank > overall + 1 else ""
            top_value = (r.row.top_benchmarks or {}).get(b)
            top_text = "—" if top_value is None else f"{top_value:.2f}"
            cells.append(Cell(f"{rank} ({top_text})", rank, flip))
        rank_body.append(cells)
    return [
        HtmlTable(f"{first.suite.name} leaderboard — {first.suite.id}", columns, body, caption),
        HtmlTable(
            f"rank per benchmark — {first.suite.id}",
            ["proxy", "overall", *benches],
            rank_body,
            f"rank among these proxies by each benchmark's mean ρ (1 = best), {top} retrieval in parentheses; "
            "green: two or more places better than overall, red: two or more worse",
        ),
    ]


def run_tables(
    runs: list[tuple[str, RunResult]], carried: dict | None = None
) -> tuple[list[HtmlTable], list[str]]:
    groups = group_rows(runs, references=True)
    marks = leaderboard_marks(runs, carried=carried)
    tables = []
    for sig, rows in groups.items():
        group_marks = marks.get(sig, {})
        columns = [
            "#",
            "sig.",
            "proxy",
            "Spearman ρ",
            "95% CI",
            "Kendall τ",
            "top-10%",
            "argmax acc (rank)",
            "n",
            "failed",
            "time/arch",
            "input",
            "source",
        ]
        body = []
        refs = [r for r in rows if r.is_reference]
        for rank, row in [*enumerate(ranked(rows), start=1), *[("ref", r) for r in refs]]:
            r = row.result
            ci = r.spearman.ci
            sel = r.selection
            body.append(
                [
                    Cell(str(rank), rank if rank != "ref" else "Infinity"),
                    Cell(group_marks.get(f"{row.source}::{r.proxy}", "")),
                    Cell(f"{r.proxy}@{r.version}" if r.reference is None else r.reference),
                    _num(r.spearman.value, cls="head"),
                    Cell(
                        "—" if ci is None else f"[{ci.low:.3f}, {ci.high:.3f}]", ci.low if ci else "-Infinity"
                    ),
                    _num(r.kendall.value),
                    _num(r.topk.retrieval if r.topk else None, 2),
                    Cell("—", "-Infinity")
                    if sel is None
                    else Cell(f"{sel.target:.2f} ({sel.rank})", sel.target),
                    Cell(str(r.n_used), r.n_used),
                    Cell(str(r.n_failed), r.n_failed, "bad" if r.n_failed else ""),
                    _time(r.time_per_arch_s),
                    Cell(
                        r.input_kind + (" (fallback)" if r.input_fallback else ""),
                        cls="fallback" if r.input_fallback else "",
                    ),
                    Cell(Path(row.source).name),
                ]
            )
        fields = dict(f.partition(":")[::2] for f in sig.split("|"))
        title = (
            f"correlation leaderboard — {fields.get('target', '?')}, sample {fields.get('sample', '?')}, "
            f"input {fields.get('input', '?')}, init {fields.get('init', '?')}"
        )
        tables.append(
            HtmlTable(
                title,
                columns,
                body,
                f"{sig}\nsig.: ≈↑ / ≈1 not significantly different from the row above / the top row "
                "(paired bootstrap of the ρ difference, 95%)",
            )
        )
    return tables, signature_differences(list(groups)) if len(groups) > 1 else []


def _scatter(title: str, scores, truth, higher_is_better: bool, target: str) -> Scatter:
    xs = [None if v is None or not np.isfinite(v) else float(v) for v in scores]
    ys = [None if v is None or not np.isfinite(v) else float(v) for v in truth]
    direction = "higher is better" if higher_is_better else "lower is better"
    return Scatter(title, xs, ys, f"score ({direction})", target, x_scale=x_scale_for(xs))


def _rho_title(name: str, dataset: str, rho: float | None, n: int) -> str:
    return f"{name} · {SHORT.get(dataset, dataset)} (ρ {'—' if rho is None else f'{rho:.2f}'}, n={n})"


def suite_scatters(col: Collection) -> list[Group]:
    out = []
    for source, res in col.suites:
        plots = []
        for row in res.rows:
            for run, columns in zip(res.runs, res.scores):
                pr = next(r for r in run.results if r.proxy == row.proxy)
                truth = [np.nan if v is None else v for v in columns.target]
                scores = [np.nan if v is None else v for v in columns.scores.get(row.proxy, [])]
                plots.append(
                    _scatter(
                        _rho_title(row.proxy, columns.dataset, pr.spearman.value, pr.n_used),
                        scores,
                        truth,
                        row.higher_is_better,
                        f"accuracy ({run.oracle.split})",
                    )
                )
        out.append(
            Group(
                f"{res.suite.id}: {Path(source).name}",
                plots,
                "one row of panels per proxy, one panel per dataset; ρ is signed (scores oriented)",
                per_row=len(res.scores),
            )
        )
    return out


def run_scatters(
    runs: list[tuple[str, RunResult]], carried: dict | None = None
) -> tuple[list[Group], list[str]]:
    out, notes = [], []
    for source, run in runs:
        try:
            frame = scores_of(source, run, carried)
        except HarnessError as exc:
            notes.append(f"no scatter for {Path(source).name}: {exc}")
            continue
        plots = []
        target = f"{run.oracle.dataset} {run.oracle.metric} ({run.oracle.split})"
        for r in run.results:
            if r.proxy in frame:
                plots.append(
                    _scatter(
                        _rho_title(r.proxy, run.oracle.dataset, r.spearman.value, r.n_used),
                        frame[r.proxy].to_numpy(dtype=float),
                        frame["target"].to_numpy(dtype=float),
                        r.higher_is_better,
                        target,
                    )
                )
        fields = dict(
            f.partition(":")[::2] for f in (run.results[0].signature.split("|") if run.results else [])
        )
        out.append(
            Group(
                f"{Path(source).name}: {fields.get('target', run.config.get('dataset'))}, sample "
                f"{fields.get('sample', '?')}, input {fields.get('input', '?')}",
                plots,
            )
        )
    return out, notes


def heatmaps(col: Collection, runs: list[tuple[str, RunResult]]) -> list[Group]:
    out = []
    for source, res in col.suites:
        plots = [
            Heatmap(
                f"{SHORT.get(run.config.get('dataset'), run.config.get('dataset'))}",
                run.score_correlations.names,
                run.score_correlations.matrix,
            )
            for run in res.runs
            if run.score_correlations
        ]
        if plots:
            out.append(
                Group(
                    f"{res.suite.id}: {Path(source).name}",
                    plots,
                    "Spearman ρ between oriented scores (and params, flops, the target) over the suite's sample",
                )
            )
    for source, run in runs:
        if run.score_correlations:
            out.append(
                Group(
                    f"{Path(source).name}: {run.config.get('dataset')}",
                    [
                        Heatmap(
                            "Spearman ρ between scores",
                            run.score_correlations.names,
                            run.score_correlations.matrix,
                        )
                    ],
                    run.score_correlations.note,
                )
            )
    return out


def sweep_lines(sweep: SweepResult, title: str) -> Group:
    metric = {"spearman": "Spearman ρ", "kendall": "Kendall τ"}.get(sweep.metric, sweep.metric)
    metric = f"|{metric}|" if sweep.abs else metric
    series = {
        row.proxy if not row.reference else row.reference: [c.value if c else None for c in row.cells]
        for row in sweep.rows
    }
    labels = [p.label for p in sweep.points]
    errors = {
        row.proxy if not row.reference else row.reference: (
            [c.ci.low if c and c.ci else None for c in row.cells],
            [c.ci.high if c and c.ci else None for c in row.cells],
        )
        for row in sweep.rows
    }
    plot = Lines(
        f"{metric} per value of {sweep.field}",
        [float(i) for i in range(len(labels))],
        series,
        sweep.field,
        metric,
        x_ticks=labels,
        errors=errors,
    )
    return Group(
        title, [plot], f"one correlation run per value; {len(sweep.points)} values; bars: 95% bootstrap CI"
    )


def search_curves(result: SearchResult, title: str) -> Group:
    """The accuracy of the search's best-so-far architecture (best by its objective, so with a
    proxy it can fall) against architectures scored: per cell the mean over repeats, the band
    from the worst to the best repeat; dashed: the space optimum."""
    plots = []
    for dataset in dict.fromkeys(c.dataset for c in result.cells):
        cells = [c for c in result.cells if c.dataset == dataset]
        budget = max(c.budget for c in cells)
        steps = list(range(1, budget + 1))
        series, bands = {}, {}
        for cell in cells:
            curves = []
            for rep in cell.repeats:
                points = sorted(rep.trajectory, key=lambda p: p.step)
                curve, j, current = [], 0, None
                for s in steps:
                    while j < len(points) and points[j].step <= s:
                        current = points[j].accuracy
                        j += 1
                    curve.append(np.nan if current is None or s > rep.n_scored else current)
                curves.append(curve)
            arr = np.array(curves, dtype=float)
            label = row_label(cell)
            with np.errstate(all="ignore"):
                counts = np.isfinite(arr).sum(axis=0)
                mean = (
                    np.where(counts > 0, np.nanmean(np.where(np.isfinite(arr), arr, np.nan), axis=0), np.nan)
                    if arr.size
                    else np.array([])
                )
            series[label] = [None if not np.isfinite(v) else float(v) for v in mean]
            lo = [None if c == 0 else float(np.nanmin(arr[:, i])) for i, c in enumerate(counts)]
            hi = [None if c == 0 else float(np.nanmax(arr[:, i])) for i, c in enumerate(counts)]
            bands[label] = (lo, hi)
        optimum = next((c.optimum for c in cells if c.optimum), None)
        target = cells[0].target
        plots.append(
            Lines(
                f"{SHORT.get(dataset, dataset)}: accuracy of the best-so-far architecture",
                [float(s) for s in steps],
                series,
                "architectures scored",
                f"{target.metric} ({target.split})",
                hline=(optimum.value, f"space optimum {optimum.value:.2f}") if optimum else None,
                bands=bands,
            )
        )
    repeats = max((len(c.repeats) for c in result.cells), default=0)
    return Group(
        title,
        plots,
        f"best-so-far = best by the search's objective (the proxy), so its accuracy can fall; "
        f"mean over {repeats} repeats (band: worst to best repeat); ground truth looked up after "
        "the search",
    )


def report_inputs(col: Collection) -> ReportInputs:
    data = ReportInputs(
        sources=[s for s, _ in [*col.suites, *col.runs, *col.sweeps, *col.searches]], missing=dict(MISSING)
    )
    loose = col.loose_runs()
    if col.suites:
        tables, diff = suite_tables(col)
        data.leaderboards += tables
        data.not_comparable += diff
    if loose:
        tables, diff = run_tables(loose, col.scores)
        data.leaderboards += tables
        data.not_comparable += diff
    data.scatters = suite_scatters(col)
    scatters, notes = run_scatters(loose, col.scores)
    data.scatters += scatters
    if notes:
        data.notes["scatter"] = notes
    data.heatmaps = heatmaps(col, loose)
    data.sweeps = [
        sweep_lines(s.sweep, f"{s.suite.id}: dataset sweep") for _, s in col.suites if s.sweep is not None
    ]
    data.sweeps += [sweep_lines(sw, Path(src).name) for src, sw in col.loose_sweeps()]
    data.searches = [
        search_curves(s.search, f"{s.suite.id}: search") for _, s in col.suites if s.search is not None
    ]
    data.searches += [search_curves(se, Path(src).name) for src, se in col.loose_searches()]
    return data
