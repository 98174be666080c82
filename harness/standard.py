"""A versioned suite run (``nash run --suite standard``): every protocol the suite pins, one file.

The suite's datasets are swept with ordinary correlation runs (``sweeps.run_sweep``: same
store, same summaries, one results file and scores CSV per dataset), then the small search runs
(``search_runner.compute_search``). ``standard_result`` folds them into one self-contained
``StandardResult`` with a summary row per proxy, which the leaderboard and the HTML report read.
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

from nas_harness.leaderboard.search_render import row_label
from nas_harness.leaderboard.search_schema import SearchResult
from nas_harness.leaderboard.standard_schema import ScoreColumns, StandardResult, StandardRow, SuiteRecord
from nas_harness.leaderboard.sweep_schema import SweepResult

from .api import HarnessError
from .api.suites import VersionedSuite, sample_digest
from .config import validate_run_config
from .host import PluginHost
from .protocols.correlation import select_archs
from .runner import Notify, RunOutcome
from .search_runner import SearchOutcome, compute_search
from .sweeps import SweepConfig, run_sweep


@dataclass
class SuiteOutcome:
    """A finished suite run before anything is written."""

    result: StandardResult
    runs: list[RunOutcome]
    sweep: SweepResult
    search: SearchOutcome

    @property
    def stem(self) -> str:
        s = self.result.suite
        return f"suite-{s.name}-v{s.version}-{s.content_hash[:8]}-{_proxies_hash(self.result)}"


def _proxies_hash(result: StandardResult) -> str:
    """Which proxies, with which configs: runs of other proxies or options get other files."""
    import hashlib
    import json

    chosen = [[r.proxy, r.version, r.config] for r in result.runs[0].results]
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:8]


def check_sample(suite: VersionedSuite, host: PluginHost) -> list[str]:
    """The suite's architectures; a HarnessError when they no longer match the pinned digest."""
    config = validate_run_config(suite.run_config(suite.datasets[0], ["params"]))
    info = host.get("space", suite.space["name"])
    space = info.cls(info.cls.Config(**(suite.space.get("config") or {})))
    archs = select_archs(space, config.sample)
    if suite.sample_digest is not None and sample_digest(archs) != suite.sample_digest:
        raise HarnessError(
            f"suite {suite.id}: the sample {config.sample.describe()} of space {space.name}@{space.version} no longer "
            f"gives the pinned architectures (digest {sample_digest(archs)}, pinned {suite.sample_digest}); "
            "the space changed: the suite needs a new version"
        )
    return archs


def run_suite(
    suite: VersionedSuite,
    proxies: list[Any],
    *,
    data: Path | None = None,
    execution: dict[str, Any] | None = None,
    store_path: Path | None = None,
    show_progress: bool = False,
    host: PluginHost | None = None,
    notify: Notify | None = None,
    on_run: Callable[[str, RunOutcome], str | None] | None = None,
) -> SuiteOutcome:
    """Run every protocol of ``suite`` for ``proxies`` (names or {name, config}); nothing written
    but what ``on_run(dataset, outcome)`` writes.

    ``data`` is a folder holding the official image folders (the pinned input settings pick the
    batch); ``execution`` (run-config fields device, threads, executor, workers, scheduler,
    time_limit_s, memory_limit_mb) changes where the work runs, not what it computes.
    """
    if not proxies:
        raise HarnessError(f"suite {suite.id}: no proxies to evaluate")
    started = time.perf_counter()
    host = host or PluginHost.discover()
    say = notify or (lambda _m: None)
    check_sample(suite, host)
    if data is not None and not Path(data).is_dir():
        raise HarnessError(
            f"--data {data}: the {suite.name} suite reads every dataset's official images, so give the "
            "folder that holds cifar-10-batches-py/, cifar-100-python/ and ImageNet16/"
        )

    base = suite.run_config(suite.datasets[0], proxies)
    execution = {k: v for k, v in (execution or {}).items() if v is not None}
    base.update(execution)
    if data is not None:
        base["input"] = {**base["input"], "path": str(data)}
    sweep_cfg = SweepConfig(field="dataset", values=list(suite.datasets))
    say(
        f"[bold]suite[/] {suite.id}: {len(suite.datasets)} datasets × {suite.sample.get('n')} archs, then the search"
    )
    sweep, outcomes = run_sweep(
        base,
        sweep_cfg,
        store_path=store_path,
        show_progress=show_progress,
        host=host,
        notify=notify,
        on_point=on_run,
    )

    search_data = suite.search_config(proxies)
    search_data.update({k: v for k, v in execution.items() if k in ("device", "threads")})
    if data is not None:
        search_data["input"] = {**search_data["input"], "path": str(data)}
    say(
        f"[bold]suite[/] {suite.id}: search ({suite.search.strategy['name']}, budget {suite.search.budget}, "
        f"{suite.search.repeats} repeats)"
    )
    search = compute_search(
        search_data,
        source=None,
        store_path=store_path,
        show_progress=show_progress,
        host=host,
        limits={k: v for k, v in execution.items() if k in ("workers", "time_limit_s", "memory_limit_mb")},
    )

    result = standard_result(suite, outcomes, sweep, search.result, duration_s=time.perf_counter() - started)
    return SuiteOutcome(result, outcomes, sweep, search)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def standard_result(
    suite: VersionedSuite,
    outcomes: list[RunOutcome],
    sweep: SweepResult,
    search: SearchResult | None,
    *,
    duration_s: float,
) -> StandardResult:
    """Fold the suite's runs into one file with a summary row per proxy."""
    datasets = list(suite.datasets)
    runs = [o.run for o in outcomes]
    names = [r.proxy for r in runs[0].results]
    rows = []
    for name in names:
        per = {d: next(r for r in run.results if r.proxy == name) for d, run in zip(datasets, runs)}
        first = per[datasets[0]]
        rhos = {d: per[d].spearman.value for d in datasets}
        signatures = {d: per[d].signature for d in datasets}
        cell = next((c for c in (search.cells if search else []) if c.proxy == name), None)
        if cell is not None:
            signatures["search"] = cell.signature
        times = [per[d].time_per_arch_s for d in datasets if per[d].time_per_arch_s is not None]
        rows.append(
            StandardRow(
                proxy=name,
                version=first.version,
                distribution=first.distribution,
                higher_is_better=first.higher_is_better,
                reads_input=any(per[d].input_kind != "none" for d in datasets),
                signatures=signatures,
                headline=headline(rhos),
                spearman=rhos,
                kendall={d: per[d].kendall.value for d in datasets},
                top_retrieval={d: per[d].topk.retrieval if per[d].topk else None for d in datasets},
                n=first.n,
                n_failed={d: per[d].n_failed for d in datasets},
                time_per_arch_s=float(np.mean(times)) if times else None,
                input_fallback=any(per[d].input_fallback for d in datasets),
                search_label=row_label(cell) if cell else None,
                search_accuracy=cell.accuracy if cell else None,
                search_rank=cell.rank if cell else None,
            )
        )
    scores = [
        ScoreColumns(
            dataset=d,
            archs=list(o.archs),
            target=[_finite(v) for v in np.asarray(o.truth, dtype=float)],
            scores={
                name: [_finite(v) for v in np.asarray(t.values, dtype=float)] for name, t in o.tables.items()
            },
        )
        for d, o in zip(datasets, outcomes)
    ]
    return StandardResult(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        suite=SuiteRecord(
            name=suite.name,
            version=suite.version,
            content_hash=suite.content_hash,
            id=suite.id,
            headline=suite.headline,
            definition=suite.pinned(),
        ),
        proxies=names,
        rows=rows,
        runs=runs,
        scores=scores,
        sweep=sweep,
        search=search,
        environment=runs[-1].environment,
        duration_s=round(duration_s, 3),
    )


def headline(rhos: dict[str, float | None]) -> float | None:
    """Mean signed Spearman ρ over the datasets; None when a dataset has none (the proxy failed there)."""
    values = list(rhos.values())
    if not values or any(v is None for v in values):
        return None
    return float(np.mean(values))


def write_suite(outcome: SuiteOutcome, out_dir: Path) -> dict[str, Path]:
    """Write the suite file, the sweep file and the search files (run files: ``on_run``)."""
    from .checksum import sealed_json
    from .files import ensure_dir, write_text
    from .search_runner import write_search

    ensure_dir(out_dir)
    paths: dict[str, Path] = {}
    paths["sweep"] = write_text(
        out_dir / f"sweep-{outcome.stem}.json", sealed_json(outcome.sweep), "sweep file"
    )
    paths["search"], paths["trajectory"] = write_search(outcome.search, out_dir)
    path = write_text(out_dir / f"{outcome.stem}.json", sealed_json(outcome.result), "results file")
    paths["suite"] = path
    return paths
