"""One ``nash search``: config → plugins → engine → searches → ground truth → files and a table."""

from __future__ import annotations

import csv
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nas_harness.leaderboard.schema import OracleRecord
from nas_harness.leaderboard.search_render import render_search
from nas_harness.leaderboard.search_schema import SearchCell, SearchResult

from .api import HarnessError, Oracle, Space, Strategy, TrainableProxy
from .config import PluginRef, validate_plugin_config
from .engine import Engine
from .environment import environment
from .executors import Executor, make_executor
from .executors.limits import sandbox_wanted
from .host import PluginHost, PluginInfo
from .inputs import check_input_kind, load_batch
from .protocols.correlation import oracle_coverage
from .protocols.fewshot import LabelSource, calibration_order, labelled_set
from .protocols.fitting import EngineFitTools, fit_fresh
from .protocols.search import (
    Objective,
    SpaceTruth,
    evaluate_run,
    oracle_objective,
    proxy_objective,
    search_once,
    space_truth,
    stat,
)
from .resolve import _job, default_space, default_task, resolve_oracle
from .scoring import ProxyJob, ScoringSetup
from .search_config import SearchConfig, validate_search_config
from .signatures import search_signature
from .store import ScoreStore, default_path
from .strategy_sandbox import StrategyProcess

console = Console()
err_console = Console(stderr=True)

TRAJECTORY_COLUMNS = (
    "strategy",
    "objective",
    "dataset",
    "repeat",
    "seed",
    "step",
    "index",
    "arch",
    "score",
    "accuracy",
    "best_arch",
    "best_accuracy",
)


@dataclass
class ResolvedSearch:
    space: Space
    space_info: PluginInfo
    strategies: list[tuple[Strategy, PluginInfo]]
    jobs: list[ProxyJob]
    proxy_infos: dict[str, PluginInfo]
    target: Oracle
    also: list[Oracle]
    objective_oracle: Oracle | None

    def resolved_config(self, config: SearchConfig) -> dict[str, Any]:
        data = config.model_dump(mode="json")
        data["space"]["config"] = self.space.config.model_dump(mode="json")
        data["strategies"] = [
            {"name": s.name, "config": s.config.model_dump(mode="json")} for s, _ in self.strategies
        ]
        data["proxies"] = [
            {"name": j.name, "config": j.proxy.config.model_dump(mode="json")} for j in self.jobs
        ]
        data["oracle"] = _oracle_ref(self.target)
        data["also_oracles"] = [_oracle_ref(o) for o in self.also]
        data["objective_oracle"] = _oracle_ref(self.objective_oracle) if self.objective_oracle else None
        return data


def _oracle_ref(oracle: Oracle) -> dict[str, Any]:
    return {"name": oracle.name, "config": oracle.config.model_dump(mode="json")}


def search_with_defaults(config: SearchConfig, host: PluginHost, source: Path | None = None) -> SearchConfig:
    """``config`` with the space (the only installed one) and tasks (its default) filled in."""
    if config.space is not None and config.datasets is not None:
        return config
    space = default_space(host, config.space)
    datasets = config.datasets if config.datasets is not None else [default_task(host, space, source)]
    return config.model_copy(update={"space": space, "datasets": datasets})


def resolve_search(config: SearchConfig, host: PluginHost, source: Path | None = None) -> ResolvedSearch:
    config = search_with_defaults(config, host, source)
    space_info = host.get("space", config.space.name)
    space_cfg = validate_plugin_config(space_info.cls.Config, config.space.config, "space.config", source)
    space: Space = space_info.cls(space_cfg)
    for dataset in config.datasets:
        space.dataset(dataset)

    strategies = []
    for i, ref in enumerate(config.strategies):
        info = host.get("strategy", ref.name)
        cfg = validate_plugin_config(info.cls.Config, ref.config, f"strategies[{i}].config", source)
        strategies.append((info.cls(cfg), info))

    jobs, infos = [], {}
    for i, ref in enumerate(config.proxies):
        info = host.get("proxy", ref.name)
        jobs.append(_job(host, info, ref.config, f"proxies[{i}]", source))
        infos[ref.name] = info

    oracles = space.oracles()
    if not oracles:
        raise HarnessError(f"space {space.name!r} has no ground-truth oracle; a search report needs one")

    def make(ref: PluginRef | None, where: str) -> Oracle:
        return resolve_oracle(
            space, ref if ref is not None else PluginRef(name=next(iter(oracles))), where, source
        )

    target = make(config.oracle, "oracle")
    also = [make(ref, f"also_oracles[{i}]") for i, ref in enumerate(config.also_oracles)]
    objective_oracle = (
        make(config.objective_oracle, "objective_oracle") if config.objective == "oracle" else None
    )
    return ResolvedSearch(space, space_info, strategies, jobs, infos, target, also, objective_oracle)


@dataclass
class SearchOutcome:
    """A finished ``nash search`` before anything is written: the result and its trajectory rows."""

    result: SearchResult
    rows: list[dict[str, Any]]


def compute_search(
    data: dict[str, Any],
    *,
    source: Path | None,
    store_path: Path | None,
    show_progress: bool = True,
    host: PluginHost | None = None,
) -> SearchOutcome:
    """Validate ``data``, run every cell through the store, look up ground truth; nothing written."""
    started = time.perf_counter()
    config = validate_search_config(data, source)
    host = host or PluginHost.discover()
    for w in host.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    config = search_with_defaults(config, host, source)
    resolved = resolve_search(config, host, source)
    sources = host.data_sources()
    check_input_kind(config.input, sources)
    if config.threads:
        from .threads import pin_threads

        pin_threads(config.threads)

    n_objectives = len(resolved.jobs) if config.objective == "proxy" else 1
    total = len(config.datasets) * len(resolved.strategies) * n_objectives * config.repeats * config.budget
    cells: list[SearchCell] = []
    rows: list[dict[str, Any]] = []
    inputs: dict[str, dict[str, Any]] = {}
    store = ScoreStore(store_path or default_path()) if config.objective == "proxy" else None
    progress = _progress(show_progress)
    isolation = SearchIsolation.start(config, store_path or default_path())
    try:
        with progress:
            task = progress.add_task("search", total=total)
            for dataset in config.datasets:
                batch = _batch(config, resolved, dataset, sources)
                inputs[dataset] = _input_record(batch)
                setup = ScoringSetup(
                    space=resolved.space,
                    dataset=dataset,
                    init=config.init,
                    seed=config.init_seed,
                    device=config.device,
                    batch=batch,
                    input_spec=batch.spec if batch is not None else "none",
                )
                target = space_truth(resolved.space, resolved.target, dataset)
                also = [space_truth(resolved.space, o, dataset) for o in resolved.also]
                objectives = _objectives(config, resolved, dataset, store, setup, host, isolation.executor)
                for strategy, info in resolved.strategies:
                    for objective, job in objectives:
                        cell, cell_rows = _run_cell(
                            config,
                            resolved,
                            strategy,
                            info,
                            objective,
                            job,
                            dataset,
                            setup,
                            target,
                            also,
                            batch,
                            lambda n: progress.advance(task, n),
                            isolation.process,
                        )
                        cells.append(cell)
                        rows.extend(cell_rows)
                        progress.update(task, completed=_done(cells, config))
    finally:
        isolation.close()
        if store is not None:
            store.close()

    resolved_cfg = resolved.resolved_config(config)
    cfg_hash = hashlib.sha256(json.dumps(resolved_cfg, sort_keys=True).encode()).hexdigest()[:12]
    result = SearchResult(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        config=resolved_cfg,
        config_hash=cfg_hash,
        inputs=inputs,
        environment=environment(config.device, _plugin_versions(resolved), sandbox=isolation.note()),
        cells=cells,
        trajectory_file=f"search-{cfg_hash}.trajectory.csv",
        duration_s=round(time.perf_counter() - started, 3),
    )
    return SearchOutcome(result, rows)


def write_search(outcome: SearchOutcome, out_dir: Path) -> tuple[Path, Path]:
    """Write the trajectory CSV and the results JSON (which names the CSV); returns both paths."""
    from .checksum import sealed_json
    from .files import ensure_dir, write_text, write_with

    ensure_dir(out_dir)
    trajectory_path = write_with(
        out_dir / outcome.result.trajectory_file,
        lambda tmp: _write_rows(tmp, outcome.rows),
        "trajectory file",
    )
    results_path = write_text(
        out_dir / f"search-{outcome.result.config_hash}.json", sealed_json(outcome.result), "results file"
    )
    return results_path, trajectory_path


def execute_search(
    data: dict[str, Any],
    *,
    source: Path | None,
    store_path: Path | None,
    out_dir: Path,
    show_progress: bool = True,
    host: PluginHost | None = None,
) -> int:
    """``nash search``: compute, write, print the table; the exit code."""
    outcome = compute_search(
        data, source=source, store_path=store_path, show_progress=show_progress, host=host
    )
    results_path, trajectory_path = write_search(outcome, out_dir)
    render_search(outcome.result, console)
    console.print(f"results: {results_path}  trajectories: {trajectory_path}")
    return 0


def _done(cells: list[SearchCell], config: SearchConfig) -> int:
    return len(cells) * config.repeats * config.budget


def _progress(show: bool) -> Progress:
    columns = (
        TextColumn("[bold]search"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("archs"),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=err_console, transient=False, disable=not show)


def _batch(config: SearchConfig, resolved: ResolvedSearch, dataset: str, sources):
    if config.objective != "proxy" or not any(job.needs_data for job in resolved.jobs):
        return None
    batch = load_batch(config.input, resolved.space.dataset(dataset), config.device, sources)
    if batch.fallback:
        err_console.print(f"[bold yellow]input ({dataset}):[/] {batch.note}", highlight=False)
    return batch


@dataclass
class SearchIsolation:
    """Where a search's untrusted code runs. With the sandbox (``sandbox_wanted``: on by default
    where the platform has it, required for standard suites), the strategies run in a sandboxed
    ``StrategyProcess`` and the proxies are scored by a sandboxed local executor; without it both
    run in the driver (the oracle-leak guard watches the strategies) and the results say so."""

    process: StrategyProcess | None
    executor: Executor | None
    why: str

    @classmethod
    def start(cls, config: SearchConfig, store_path: Path) -> SearchIsolation:
        on, why = sandbox_wanted()
        if not on:
            return cls(None, None, why)
        executor = make_executor("local", threads=config.threads) if config.objective == "proxy" else None
        return cls(StrategyProcess(sandboxed=True, denied=[store_path]), executor, why)

    def note(self) -> str:
        if self.process is None:
            return f"{self.why}; strategies and proxies run in the driver"
        scoring = "proxies in sandboxed workers" if self.executor is not None else "oracle objective"
        return f"{self.why}; strategies in a sandboxed process, {scoring}"

    def close(self) -> None:
        if self.process is not None:
            self.process.close()
        if self.executor is not None:
            self.executor.close()


def _objectives(
    config, resolved, dataset, store, setup, host, executor=None
) -> list[tuple[Objective, ProxyJob | None]]:
    if config.objective == "oracle":
        return [(oracle_objective(resolved.objective_oracle, dataset), None)]
    engine = Engine(setup, store, executor=executor)
    jobs = [
        _fitted(config, resolved, dataset, store, setup, host, job)
        if isinstance(job.proxy, TrainableProxy)
        else job
        for job in resolved.jobs
    ]
    return [(proxy_objective(engine, job), job) for job in jobs]


def _fitted(config, resolved, dataset, store, setup, host, job: ProxyJob) -> ProxyJob:
    """A trainable proxy fitted on ``config.calibration.k`` labels of the target oracle (drawn from
    its coverage with the calibration seed); the labels are then counted in the search's budget."""
    cal = config.calibration
    if cal is None:
        raise HarnessError(
            f"proxies: {job.name!r} is trainable; give calibration: {{k: K}} (--calib-k K) so it "
            "is fitted on K labelled architectures first (they count in the budget)"
        )
    if cal.k >= config.budget:
        raise HarnessError(f"calibration.k: {cal.k} labels leave nothing of the budget of {config.budget}")
    source = LabelSource(resolved.space, dataset, resolved.target, transfer=False)
    covered = oracle_coverage(resolved.target, dataset, resolved.space)
    archs, raw = calibration_order(source, covered, [], cal.k, cal.seed)
    ls = labelled_set(source, archs, raw, cal.seed)
    tools = EngineFitTools({(resolved.space.name, dataset): setup}, store, host, None, (cal.seed, cal.k))
    try:
        return fit_fresh(job, [ls], tools)
    except HarnessError:
        raise
    except Exception as exc:  # noqa: BLE001 - said with the proxy's name; nothing to search with
        raise HarnessError(
            f"{job.name}: fit on {cal.k} calibration architectures raised {type(exc).__name__}: {exc}"
        ) from None


def _run_cell(
    config,
    resolved,
    strategy,
    info,
    objective,
    job,
    dataset,
    setup,
    target: SpaceTruth,
    also: list[SpaceTruth],
    batch,
    advance,
    process: StrategyProcess | None = None,
) -> tuple[SearchCell, list[dict[str, Any]]]:
    repeats, rows = [], []
    calibration = job.calibration if job is not None else None
    labels = calibration.k if calibration is not None else 0
    budget = config.budget - labels  # calibration labels are queries too
    for r, seed in enumerate(config.seeds()):
        run = search_once(
            strategy, resolved.space, dataset, objective, budget, seed, on_new=advance, process=process
        )
        advance(config.budget - len(run.order))
        repeat, repeat_rows = evaluate_run(run, resolved.space, objective, target, also)
        repeat.labels = labels
        repeat.queries_to_optimum = (
            None if repeat.steps_to_optimum is None else labels + repeat.steps_to_optimum
        )
        repeats.append(repeat)
        for row in repeat_rows:
            rows.append(
                {
                    "strategy": strategy.name,
                    "objective": objective.label,
                    "dataset": dataset,
                    "repeat": r,
                    "seed": seed,
                    **row,
                }
            )
    if job is not None:
        key = setup.key(job)
        input_spec, init = key.input_spec, (f"{key.init}(s={key.seed})" if key.init != "none" else "none")
    else:
        input_spec, init = "none", "none"
    if objective.kind == "proxy":
        proxy, proxy_version = objective.label, str(objective.version)
    else:
        proxy, proxy_version = f"{objective.label}[ground-truth:{objective.config.get('target', '')}]", ""
    sig = search_signature(
        strategy=f"{strategy.name}@{strategy.version}",
        proxy=proxy,
        proxy_version=proxy_version,
        space=resolved.space,
        task=dataset,
        oracle=target.info,
        budget=config.budget,
        seeds=config.seeds(),
        input_spec=input_spec,
        input_source=batch.kind if batch is not None and input_spec != "none" else "",
        init=init,
        calibration=calibration,
    )
    steps = [r.steps_to_optimum for r in repeats]
    return SearchCell(
        strategy=strategy.name,
        strategy_label=getattr(type(strategy), "abbreviation", strategy.name),
        strategy_version=str(strategy.version),
        strategy_distribution=info.distribution,
        strategy_config=strategy.config.model_dump(mode="json"),
        objective=objective.kind,
        uses_ground_truth=objective.uses_ground_truth,
        proxy=objective.label,
        proxy_version=objective.version,
        proxy_config=objective.config,
        population_relative=objective.relative,
        dataset=dataset,
        signature=sig.render(),
        signature_fields=sig,
        budget=config.budget,
        target=OracleRecord(**target.info.__dict__),
        also=[OracleRecord(**t.info.__dict__) for t in also],
        optimum=target.optimum,
        accuracy=stat([r.accuracy for r in repeats]),
        also_accuracy=[stat([r.also[i] for r in repeats]) for i in range(len(also))],
        rank=stat([r.rank for r in repeats]),
        best_explored=stat([r.best_explored for r in repeats]),
        steps_to_optimum=stat(steps),
        reached_optimum=sum(s is not None for s in steps),
        labels=labels,
        calibration=calibration.describe() if calibration is not None else "",
        queries_to_optimum=stat([r.queries_to_optimum for r in repeats]),
        cost_s=stat([r.cost_s for r in repeats]),
        wall_s=stat([r.wall_s for r in repeats]),
        input_kind=batch.kind if batch is not None and job is not None and job.needs_data else "none",
        input_fallback=bool(batch is not None and job is not None and job.needs_data and batch.fallback),
        repeats=repeats,
    ), rows


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=TRAJECTORY_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in TRAJECTORY_COLUMNS})


def _input_record(batch) -> dict[str, Any]:
    if batch is None:
        return {"kind": "none", "note": "no proxy of this search needs input data"}
    return {
        "kind": batch.kind,
        "source": batch.source,
        "spec": batch.spec,
        "indices": list(batch.indices) if batch.indices is not None else None,
        "fallback": batch.fallback,
        "note": batch.note,
    }


def _plugin_versions(resolved: ResolvedSearch) -> dict[str, str]:
    infos = [resolved.space_info, *resolved.proxy_infos.values(), *(i for _, i in resolved.strategies)]
    return {i.distribution: i.dist_version for i in infos}
