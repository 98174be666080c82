"""Reproductions: run a paper's table with one command and put ours next to theirs.

A reproduction (``nas_harness.api.suites.Reproduction``, contributed by a plugin through
``nas_harness_suites``; the NB201 plugin contributes WRCor's, SED's, paper 004's and
zero-cost-nas's NB201 tables) is named and versioned. Its ``plan`` returns ordinary correlation
runs (``runner.compute_run``: same store, same summaries, same result files); this module runs
them and reads each cell of the paper's table off them. Where our inputs or conventions differ
from the paper's, the plan's notes say so on the cells.

``--n N`` keeps the first N architectures of each run's sample (``sample.take``): a random
subset of a random sample (whose stored scores are reused), the first N by benchmark index of
a full-space run. Proxies that are not installed give rows marked "not installed".

Data files are options (``--file KEY=PATH``, else under ``--shared`` / ``$NASH_SHARED_DIR`` /
``../shared``); a missing file is a ``HarnessError`` (exit 2) naming the file and the option.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from nas_harness.leaderboard.repro_schema import ReproCell, ReproResult, ReproRow, ReproRun
from nas_harness.leaderboard.schema import comparable_part

from .api import Combinator, Needs
from .api.suites import GAP_TOLERANCE, VALACC, PaperTable, Reproduction, ReproOptions, RunPlan
from .host import PluginHost
from .protocols.correlation import oriented
from .protocols.topk import argmax_selection, true_ranks
from .runner import Notify, RunOutcome, compute_run
from .stats import population_std

__all__ = [
    "ReproOptions",
    "Reproduction",
    "RunPlan",
    "result_stem",
    "row_plan",
    "run_suite",
]

# --------------------------------------------------------------------------- rows


def _installed(host: PluginHost, name: str) -> bool:
    if name not in host.names("proxy"):
        return False
    cls = host.get("proxy", name).cls
    if issubclass(cls, Combinator):
        try:
            members = [m.name for m in cls(cls.Config()).member_refs()]
        except Exception:  # noqa: BLE001 - a combinator without default members
            return True
        return all(m in host.names("proxy") for m in members)
    return True


def _needs_data(host: PluginHost, name: str) -> bool:
    if name == VALACC or name not in host.names("proxy"):
        return False
    cls = host.get("proxy", name).cls
    needs = {Needs(n) for n in cls.needs}
    if issubclass(cls, Combinator):
        try:
            for m in cls(cls.Config()).member_refs():
                needs |= {Needs(n) for n in host.get("proxy", m.name).cls.needs}
        except Exception:  # noqa: BLE001
            pass
    return bool(needs & {Needs.DATA, Needs.LABELS})


def row_plan(
    suite: Reproduction, options: ReproOptions, host: PluginHost
) -> tuple[dict[str, str], list[str]]:
    """(paper row → status, plugin names to run)."""
    status, run = {}, []
    for row, name in suite.rows.items():
        if name is None:
            status[row] = "no plugin"
        elif name == VALACC:
            status[row] = "ok"
        elif options.proxies is not None and name not in options.proxies:
            status[row] = "not run"
        elif not _installed(host, name):
            status[row] = "not installed"
        else:
            status[row] = "ok"
            if name not in run:
                run.append(name)
    return status, run


# --------------------------------------------------------------------------- running


def _value(outcome: RunOutcome, name: str, metric: str, use_abs: bool) -> float | None:
    results = [*outcome.run.results, *outcome.run.references]
    res = next((r for r in results if r.proxy == name or (name == VALACC and r.reference)), None)
    if res is None:
        return None
    value = getattr(res, metric).value
    return None if value is None else (abs(value) if use_abs else value)


def _interval(
    outcome: RunOutcome, name: str, metric: str, use_abs: bool
) -> tuple[float, float, int, float] | None:
    """(low, high, n used, confidence) of the cell's bootstrap CI (of |ρ| when the table is absolute)."""
    results = [*outcome.run.results, *outcome.run.references]
    res = next((r for r in results if r.proxy == name or (name == VALACC and r.reference)), None)
    ci = getattr(res, metric).ci if res is not None else None
    if ci is None or ci.low is None or ci.high is None:
        return None
    low, high = ci.low, ci.high
    if use_abs:
        low, high = (0.0, max(-low, high)) if low < 0 < high else sorted((abs(low), abs(high)))
    return low, high, res.n_used, float(outcome.run.config.get("confidence", 0.95))


def _argmax_cells(
    outcome: RunOutcome, name: str, col: str, table: PaperTable, row: str
) -> tuple[float | None, float | None, str]:
    """(test acc, rank) of the first-index pick, and a detail naming the whole tied set."""
    if name not in outcome.tables:
        return None, None, ""
    job_hib = next(r.higher_is_better for r in outcome.run.results if r.proxy == name)
    scores = oriented(outcome.tables[name].values, job_hib)
    if not np.isfinite(scores).any():
        return None, None, "every architecture failed"
    sel = argmax_selection(scores, outcome.truth, "first_index")
    ranks = true_ranks(np.where(np.isfinite(outcome.truth), outcome.truth, -np.inf))
    members = sorted(((float(outcome.truth[i]), int(ranks[i])) for i in sel.tied), key=lambda t: t[1])
    paper_test = table.value(row, f"{col} test")
    shown = ", ".join(f"{acc:.2f} ({rank})" for acc, rank in members[:8]) + (" …" if len(members) > 8 else "")
    detail = f"argmax tied ×{len(members)}: {shown}"
    if paper_test is not None and len(members) > 1:
        hit = any(abs(acc - paper_test) < 0.006 for acc, _ in members)
        detail += f"; paper's pick {'is' if hit else 'is NOT'} in the tied set"
    return sel.chosen_truth, float(sel.chosen_rank), detail


def run_suite(
    suite: Reproduction,
    options: ReproOptions,
    *,
    store_path: Path | None = None,
    host: PluginHost | None = None,
    show_progress: bool = False,
    notify: Notify | None = None,
    on_run: Callable[[RunPlan, RunOutcome], str | None] | None = None,
) -> ReproResult:
    started = time.perf_counter()
    host = host or PluginHost.discover()
    status, to_run = row_plan(suite, options, host)
    plans = suite.plan(options, to_run) if to_run else []  # a run needs at least one proxy
    outcomes: list[tuple[RunPlan, RunOutcome]] = []
    runs: list[ReproRun] = []
    for plan in plans:
        if notify:
            notify(f"[bold]{suite.name}[/]: {plan.label}")
        outcome = compute_run(
            plan.config, store_path=store_path, host=host, show_progress=show_progress, notify=notify
        )
        results_file = on_run(plan, outcome) if on_run else None
        outcomes.append((plan, outcome))
        first = outcome.run.results[0].signature if outcome.run.results else ""
        runs.append(
            ReproRun(
                column=plan.column,
                label=plan.label,
                results_file=results_file,
                config_hash=outcome.run.config_hash,
                comparable=comparable_part(first),
                computed=outcome.computed,
                reused=outcome.reused,
                duration_s=outcome.run.duration_s,
            )
        )

    table = suite.table
    rows: list[ReproRow] = []
    for row, name in suite.rows.items():
        cells = []
        st = status[row] if plans or status[row] != "ok" else "not run"
        data_dep = _needs_data(host, name) if name else False
        ours_by_col: dict[str, float | None] = {}
        details: dict[str, str] = {}
        intervals: dict[str, tuple[float, float, int, float]] = {}
        notes_by_col: dict[str, list[str]] = {}
        for col in table.columns:
            if col in suite.derived:
                continue
            base_col = col.split()[0]
            col_plans = [(p, o) for p, o in outcomes if p.column == base_col]
            notes = []
            for p, _ in col_plans[:1]:
                notes += list(p.notes_all) + (list(p.notes_data) if data_dep else [])
            if name == VALACC and suite.reference_note is not None:
                notes.append(suite.reference_note(options))
            notes_by_col[col] = notes
            if st != "ok" or not col_plans:
                ours_by_col[col] = None
                continue
            if suite.kind == "argmax":
                test, rank, detail = _argmax_cells(col_plans[0][1], name, base_col, table, row)
                ours_by_col[col] = test if col.endswith("test") else rank
                if col.endswith("test"):
                    details[col] = detail
            elif suite.kind == "groups":
                res = next((r for r in col_plans[0][1].run.results if r.proxy == name), None)
                g = res.score_groups if res is not None else None
                ours_by_col[col] = g.spearman_min if g is not None else None
                if g is not None:
                    details[col] = (
                        f"{g.n_groups} distinct values; ρ(mean) {g.spearman_mean:.3f}; within-group "
                        f"variance {g.within_var:.2f} vs random groups {g.random_within_var or float('nan'):.2f}"
                    )
            else:
                values = [_value(o, name, suite.metric, suite.use_abs) for _, o in col_plans]
                values = [v for v in values if v is not None]
                ours_by_col[col] = (
                    float(np.mean(values)) if len(values) == len(col_plans) and values else None
                )
                if len(col_plans) > 1 and values:
                    details[col] = "mean of " + ", ".join(f"{v:.3f}" for v in values)
                elif (ci := _interval(col_plans[0][1], name, suite.metric, suite.use_abs)) is not None:
                    intervals[col] = ci
        defined = [v for c, v in ours_by_col.items()]
        if "avg" in suite.derived:
            ours_by_col["avg"] = (
                float(np.mean(defined)) if defined and all(v is not None for v in defined) else None
            )
            notes_by_col["avg"] = []
        if "std" in suite.derived:
            ours_by_col["std"] = (
                population_std(defined) if defined and all(v is not None for v in defined) else None
            )
            notes_by_col["std"] = []
        for col in table.columns:
            paper, ours = table.value(row, col), ours_by_col.get(col)
            diff = None if paper is None or ours is None else ours - paper
            gap = _is_gap(suite, col, paper, ours, diff, st)
            why = (suite.gap_note(row, col) or _within_noise(paper, intervals.get(col))) if gap else None
            cells.append(
                ReproCell(
                    column=col,
                    paper=paper,
                    ours=ours,
                    diff=diff,
                    notes=notes_by_col.get(col, []),
                    detail=details.get(col),
                    why=why,
                    unexplained=gap and why is None,
                )
            )
        shown_name = (
            outcomes[0][1].run.references[0].proxy
            if name == VALACC and outcomes and outcomes[0][1].run.references
            else name
        )
        rows.append(ReproRow(row=row, proxy=shown_name, status=st, cells=cells))  # type: ignore[arg-type]

    if suite.kind == "correlation" and outcomes and any(o.run.ceiling for _, o in outcomes):
        cells = []
        per_col = {}
        for col in table.columns:
            if col in suite.derived:
                continue
            cs = [o.run.ceiling for p, o in outcomes if p.column == col and o.run.ceiling]
            key = "kendall_mean" if suite.metric == "kendall" else "spearman_mean"
            per_col[col] = float(np.mean([getattr(c, key) for c in cs])) if cs else None
        for col in table.columns:
            ours = per_col.get(col)
            cells.append(ReproCell(column=col, paper=None, ours=ours, diff=None))
        first = next(o.run.ceiling for _, o in outcomes if o.run.ceiling)
        rows.append(
            ReproRow(
                row="noise ceiling",
                proxy=f"{first.oracle} seeds",
                status="extra",
                cells=cells,
                note=first.note,
            )
        )

    env = outcomes[-1][1].run.environment if outcomes else None
    return ReproResult(
        suite=suite.name,
        version=suite.version,
        paper=table.paper,
        table=table.table,
        title=table.title,
        metric=table.metric,
        columns=list(table.columns),
        rows=rows,
        runs=runs,
        notes=[*suite.notes, *table.notes],
        options=options.model_dump(mode="json"),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        environment=env,
        duration_s=round(time.perf_counter() - started, 3),
    )


def _within_noise(paper: float | None, interval: tuple[float, float, int, float] | None) -> str | None:
    """The measured cause when the paper's value lies inside our bootstrap CI: sampling noise."""
    if paper is None or interval is None or not interval[0] <= paper <= interval[1]:
        return None
    low, high, n, confidence = interval
    return (
        f"within sampling noise: the paper's {paper:.2f} lies inside our {confidence:.0%} bootstrap CI "
        f"[{low:.2f}, {high:.2f}] (n = {n:,})"
    )


def _is_gap(suite: Reproduction, column: str, paper, ours, diff, status: str) -> bool:
    """A ρ/τ cell that needs a measured explanation: more than ``GAP_TOLERANCE`` from the paper,
    or undefined where the paper has a value (a cell that was run; argmax cells are accuracies and
    ranks, and a derived std is not a reproduction of a correlation)."""
    if suite.kind == "argmax" or column == "std" or status != "ok" or paper is None:
        return False
    return ours is None or abs(diff) > GAP_TOLERANCE


# where the work runs: not part of a result's file name (threads and device were, and stay, for stable names)
EXECUTION_ONLY = {"executor", "workers", "scheduler", "time_limit_s", "memory_limit_mb"}


def result_stem(suite: Reproduction, options: ReproOptions) -> str:
    blob = json.dumps(options.model_dump(mode="json", exclude=EXECUTION_ONLY), sort_keys=True)
    return f"repro-{suite.name}-v{suite.version}-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"
