"""A cross-space suite run (``nash run --suite standard@2``): one correlation run per benchmark task.

Each column (``benchmark/task``) is an ordinary correlation run (``runner.compute_run``) of the
config the suite pins, scored through the same store, so a store filled by plain ``nash run
--space S --dataset T --n N`` runs is reused, and tasks declared ``Task.scored_as`` another cost
nothing more. ``cross_result`` folds the runs into one ``StandardResult`` (the format of every
suite result): per column ρ, per benchmark the mean over its tasks, the headline (mean over
benchmarks, ``benchmark_stats``) with its bootstrap interval, top-k % per benchmark and, for a
proxy that cannot score a task, the reason instead of a number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from nas_harness.leaderboard.standard_schema import ScoreColumns, StandardResult, StandardRow, SuiteRecord

from .api import HarnessError
from .api.suites import CrossSpaceSuite, sample_digest
from .benchmark_stats import (
    RANKS_NOTHING,
    Benchmark,
    BenchmarkBootstrap,
    benchmark_rhos,
    counts_constant_as_zero,
    headline_of,
    ranks_nothing,
)
from .config import validate_run_config
from .host import PluginHost
from .runner import Notify, RunOutcome, compute_run


@dataclass
class CrossOutcome:
    """A finished cross-space suite run before the suite file is written."""

    result: StandardResult
    runs: list[RunOutcome]

    @property
    def stem(self) -> str:
        import hashlib
        import json

        s = self.result.suite
        chosen = [[r.proxy, r.version, r.config] for r in self.result.runs[0].results]
        proxies = hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:8]
        return f"suite-{s.name}-v{s.version}-{s.content_hash[:8]}-{proxies}"


def check_samples(suite: CrossSpaceSuite, host: PluginHost) -> dict[str, list[str]]:
    """Each benchmark's architectures, drawn as its first task's run draws them; a HarnessError
    naming the benchmark when they no longer match the pinned digest or differ between tasks."""
    from .protocols.correlation import oracle_coverage, select_archs
    from .resolve import resolve

    out: dict[str, list[str]] = {}
    for bench in suite.benchmarks:
        drawn: dict[str, list[str]] = {}
        for task in bench.tasks:
            config = validate_run_config(suite.run_config(f"{bench.name}/{task}", ["params"]))
            resolved = resolve(config, host)
            covered = oracle_coverage(resolved.oracle, task, resolved.space)
            drawn[task] = select_archs(resolved.space, config.sample, covered)
        first = drawn[bench.tasks[0]]
        other = [t for t, archs in drawn.items() if archs != first]
        if other:
            raise HarnessError(
                f"suite {suite.id}: benchmark {bench.name}: tasks {', '.join(other)} draw another sample than "
                f"{bench.tasks[0]} (their oracle labels other architectures); a benchmark's tasks must share it"
            )
        if bench.sample_digest is not None and sample_digest(first) != bench.sample_digest:
            raise HarnessError(
                f"suite {suite.id}: benchmark {bench.name}: the sample {bench.sample} of space "
                f"{bench.space.get('name')} no longer gives the pinned architectures (digest "
                f"{sample_digest(first)}, pinned {bench.sample_digest}); the space changed: the suite needs a "
                "new version"
            )
        out[bench.name] = first
    return out


def run_cross_suite(
    suite: CrossSpaceSuite,
    proxies: list[Any],
    *,
    execution: dict[str, Any] | None = None,
    store_path: Path | None = None,
    show_progress: bool = False,
    host: PluginHost | None = None,
    notify: Notify | None = None,
    on_run: Callable[[str, RunOutcome], Any] | None = None,
) -> CrossOutcome:
    """Every column of ``suite`` for ``proxies`` (names or {name, config}); nothing written but what
    ``on_run(column, outcome)`` writes. ``execution`` (device, threads, executor, workers,
    memory_limit_mb, ...) changes where the work runs, never what it computes."""
    if not proxies:
        raise HarnessError(f"suite {suite.id}: no proxies to evaluate")
    started = time.perf_counter()
    host = host or PluginHost.discover()
    say = notify or (lambda _m: None)
    check_samples(suite, host)
    execution = {**suite.execution, **{k: v for k, v in (execution or {}).items() if v is not None}}
    columns = list(suite.columns())
    configs = {c: {**suite.run_config(c, proxies), **execution} for c in columns}
    # Each column starts its own workers (compute_run's default): a sandboxed worker reused for the
    # next TransNAS task could not load it (PermissionError on /proc/self/maps inside the sandbox).
    outcomes = []
    for i, column in enumerate(columns, start=1):
        say(f"[bold]suite[/] {suite.id}: {column} ({i}/{len(columns)})")
        outcome = compute_run(
            configs[column], store_path=store_path, show_progress=show_progress, host=host, notify=notify
        )
        if on_run is not None:
            on_run(column, outcome)
        outcomes.append(outcome)
    result = cross_result(suite, outcomes, duration_s=time.perf_counter() - started)
    return CrossOutcome(result, outcomes)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _oriented(values, higher_is_better: bool) -> np.ndarray:
    arr = np.array([np.nan if v is None else v for v in values], dtype=float)
    return arr if higher_is_better else -arr


def cross_result(suite: CrossSpaceSuite, outcomes: list[RunOutcome], *, duration_s: float) -> StandardResult:
    """Fold the suite's runs (one per column, in the suite's order) into one suite result."""
    benchmark_of = suite.columns()
    columns = list(benchmark_of)
    if len(outcomes) != len(columns):
        raise HarnessError(f"suite {suite.id}: {len(outcomes)} runs for {len(columns)} columns")
    scores = [
        ScoreColumns(
            dataset=c,
            archs=list(o.archs),
            target=[_finite(v) for v in np.asarray(o.truth, dtype=float)],
            target_higher_is_better=o.run.oracle.higher_is_better,
            scores={
                name: [_finite(v) for v in np.asarray(t.values, dtype=float)] for name, t in o.tables.items()
            },
        )
        for c, o in zip(columns, outcomes)
    ]
    runs = [o.run for o in outcomes]
    names = [r.proxy for r in runs[0].results]
    rows = [cross_row(suite, name, columns, runs, scores, benchmark_of) for name in names]
    benches = {b.name: b.columns() for b in suite.benchmarks}
    return StandardResult(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        suite=SuiteRecord(
            name=suite.name,
            version=suite.version,
            content_hash=suite.content_hash,
            id=suite.id,
            headline=suite.headline,
            definition=suite.pinned(),
            benchmarks=benches,
        ),
        proxies=names,
        rows=rows,
        runs=runs,
        scores=scores,
        environment=runs[-1].environment,
        duration_s=round(duration_s, 3),
    )


def bootstrap_for(suite_def: dict[str, Any], benches: dict[str, list[str]], scores: list[ScoreColumns]):
    """The headline bootstrap of a cross-space result (its targets oriented, larger = better)."""
    by_col = {c.dataset: c for c in scores}
    return BenchmarkBootstrap(
        [
            Benchmark(b, tuple(_oriented(by_col[c].target, by_col[c].target_higher_is_better) for c in cols))
            for b, cols in benches.items()
        ],
        n_resamples=int(suite_def.get("bootstrap", 1000)),
        confidence=float(suite_def.get("confidence", 0.95)),
        seed=0,
        constant_as_zero=counts_constant_as_zero(suite_def),
    )


def proxy_arrays(
    name: str, higher_is_better: bool, benches: dict[str, list[str]], scores: list[ScoreColumns], na: dict
) -> dict[str, list[np.ndarray | None]]:
    """benchmark → one oriented score array per task (None where the proxy is not applicable)."""
    by_col = {c.dataset: c for c in scores}
    return {
        b: [
            None
            if c in na
            else _oriented(by_col[c].scores.get(name, [None] * len(by_col[c].archs)), higher_is_better)
            for c in cols
        ]
        for b, cols in benches.items()
    }


def constant_columns(
    name: str, higher_is_better: bool, scores: list[ScoreColumns], rhos: dict[str, float | None], definition
) -> dict[str, str]:
    """Column → why its undefined ρ counts as 0: the proxy's scores there are all equal (only when
    the suite's definition says so; ``benchmark_stats``)."""
    if not counts_constant_as_zero(definition):
        return {}
    by_col = {c.dataset: c for c in scores}
    out = {}
    for column, rho in rhos.items():
        col = by_col.get(column)
        if rho is not None or col is None or name not in col.scores:
            continue
        target = _oriented(col.target, col.target_higher_is_better)
        if ranks_nothing(_oriented(col.scores[name], higher_is_better), target):
            out[column] = RANKS_NOTHING
    return out


def cross_row(
    suite: CrossSpaceSuite,
    name: str,
    columns: list[str],
    runs: list,
    scores: list[ScoreColumns],
    benchmark_of: dict[str, str],
) -> StandardRow:
    """One proxy's summary row: per column, per benchmark, the headline and its interval."""
    per = {c: next(r for r in run.results if r.proxy == name) for c, run in zip(columns, runs)}
    first = per[columns[0]]
    na = {c: r.not_applicable for c, r in per.items() if r.not_applicable}
    rhos = {c: (None if c in na else per[c].spearman.value) for c in columns}
    constant = constant_columns(name, first.higher_is_better, scores, rhos, suite.pinned())
    bench_rho = benchmark_rhos(rhos, benchmark_of, list(na), list(constant))
    benches = {b.name: b.columns() for b in suite.benchmarks}
    tops: dict[str, float | None] = {}
    for b, cols in benches.items():
        vals = [per[c].topk.retrieval for c in cols if c not in na and per[c].topk is not None]
        if any(c not in na for c in cols):
            tops[b] = float(np.mean(vals)) if vals and all(v is not None for v in vals) else None
    ci = bootstrap_for(suite.pinned(), benches, scores).interval(
        proxy_arrays(name, first.higher_is_better, benches, scores, na)
    )
    times = [per[c].time_per_arch_s for c in columns if per[c].time_per_arch_s is not None and c not in na]
    return StandardRow(
        proxy=name,
        version=first.version,
        distribution=first.distribution,
        higher_is_better=first.higher_is_better,
        reads_input=any(per[c].input_kind != "none" for c in columns),
        signatures={c: per[c].signature for c in columns},
        headline=headline_of(bench_rho),
        spearman=rhos,
        kendall={c: (None if c in na else per[c].kendall.value) for c in columns},
        top_retrieval={c: per[c].topk.retrieval if per[c].topk else None for c in columns},
        n=sum(per[b.columns()[0]].n for b in suite.benchmarks),
        n_failed={c: per[c].n_failed for c in columns},
        time_per_arch_s=float(np.mean(times)) if times else None,
        input_fallback=any(per[c].input_fallback for c in columns),
        benchmarks=bench_rho,
        headline_ci=list(ci) if ci is not None else None,
        top_benchmarks=tops,
        not_applicable=na,
        ranks_nothing=constant,
    )


def write_cross_suite(outcome: CrossOutcome, out_dir: Path) -> Path:
    """Write the suite file (run files: ``on_run``)."""
    from .checksum import sealed_json
    from .files import ensure_dir, write_text

    ensure_dir(out_dir)
    return write_text(out_dir / f"{outcome.stem}.json", sealed_json(outcome.result), "results file")
