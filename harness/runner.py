"""One run of the correlation protocol, from a config dict to files and a printed table.

``compute_run`` does the work and returns a ``RunOutcome`` (results, scores, nothing printed or
written); ``write_run`` writes the results JSON and the scores CSV; ``execute_run`` is
``nash run``: both, plus the leaderboard on the terminal. Sweeps and reproduction suites call
``compute_run`` too, so every protocol scores and summarizes the same way.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from nas_harness.leaderboard.render import render
from nas_harness.leaderboard.schema import OracleRecord, RunResult

from .api import HarnessError, Proxy, TrainableProxy
from .config import EXECUTION_FIELDS, RunConfig, executor_for, validate_run_config
from .engine import Engine, ScoreTable
from .environment import environment
from .executors import Executor
from .host import PluginHost
from .inputs import check_input_kind, load_batch
from .protocols.baselines import noise_ceiling, reference_table
from .protocols.compare import compare_in_order, order_by_spearman
from .protocols.correlation import (
    check_covered,
    oracle_coverage,
    oriented,
    select_archs,
    summarize,
    summarize_values,
)
from .protocols.cost import cost_record
from .protocols.groups import score_groups
from .protocols.scorecorr import score_correlations
from .resolve import Resolved, resolve, resolve_oracle, with_defaults
from .scoring import ScoringSetup
from .signatures import run_signature
from .store import ScoreKey, ScoreStore, default_path

console = Console()
err_console = Console(stderr=True)


@dataclass
class RunOutcome:
    """One finished run of the correlation protocol, before anything is written or printed."""

    run: RunResult
    archs: list[str]
    truth: np.ndarray
    tables: dict[str, ScoreTable]
    indices: list[int] | None = None  # benchmark index of each arch, when the space has one
    computed: int = 0  # scores computed by this run (the rest came from the store)
    reused: int = 0

    @property
    def stem(self) -> str:
        return f"{self.run.protocol}-{self.run.config_hash}"

    def scores_frame(self):
        """One row per architecture: index, arch, target, one column per proxy (NaN = failed) and
        ``failure``: each failed proxy with its reason (``proxy: reason; …``), empty when none failed."""
        import pandas as pd

        frame = pd.DataFrame({"arch": self.archs})
        if self.indices is not None:
            frame.insert(0, "index", self.indices)
        frame["target"] = self.truth
        for name, table in self.tables.items():
            frame[name] = table.values
        why = {name: table.failures for name, table in self.tables.items()}
        frame["failure"] = [
            "; ".join(f"{name}: {fails[a]}" for name, fails in why.items() if a in fails) for a in self.archs
        ]
        return frame


Notify = Callable[[str], None]


@dataclass
class PreparedRun:
    """A validated, resolved run: its architectures and scoring setup, nothing scored yet."""

    config: RunConfig
    resolved: Resolved
    archs: list[str]
    setup: ScoringSetup
    batch: Any = None

    def pending(self, store: ScoreStore) -> dict[ScoreKey, list[str]]:
        """Architectures still to score under each (member) proxy's store key."""
        return Engine(self.setup, store).pending(self.resolved.jobs, self.archs)


def prepare_run(
    data: dict[str, Any],
    *,
    source: Path | None = None,
    host: PluginHost | None = None,
    notify: Notify | None = None,
) -> PreparedRun:
    """Validate and resolve ``data``, pick the architectures, load the input batch if needed."""
    say = notify or (lambda _msg: None)
    config = validate_run_config(data, source)
    host = host or PluginHost.discover()
    for w in host.warnings:
        say(f"[yellow]warning:[/] {w}")
    config = with_defaults(config, host, source)
    resolved = resolve(config, host, source)
    check_input_kind(config.input, host.data_sources())
    _set_threads(config)
    covered = oracle_coverage(resolved.oracle, config.dataset, resolved.space)
    archs = select_archs(resolved.space, config.sample, covered)
    if covered is not None:
        source = resolved.oracle.describe(config.dataset).source
        check_covered(archs, covered, resolved.oracle.name, config.dataset, source)
    batch = None
    if any(job.needs_data for job in resolved.jobs):
        batch = load_batch(
            config.input, resolved.space.dataset(config.dataset), config.device, host.data_sources()
        )
        if batch.fallback:
            say(f"[bold yellow]input:[/] {batch.note}")
    setup = ScoringSetup(
        space=resolved.space,
        dataset=config.dataset,
        init=config.init,
        seed=config.seed,
        device=config.device,
        batch=batch,
        input_spec=batch.spec if batch is not None else "none",
    )
    return PreparedRun(config, resolved, archs, setup, batch)


def check_untrained(resolved: Resolved) -> None:
    """Refuse a trainable proxy before anything is scored: a correlation run has no labels to fit it
    on, so every architecture would fail with the same reason (UX issue: fail early, say the fix)."""
    trainable = [job.name for job in resolved.jobs if isinstance(job.proxy, TrainableProxy)]
    if trainable:
        names = ", ".join(repr(n) for n in trainable)
        raise HarnessError(
            f"proxies: {names}: trainable (fitted on labelled architectures before scoring), which a "
            f"correlation run does not do; use `nash few-shot --proxies {trainable[0]}` (rank vs k labels) "
            f"or `nash search --proxies {trainable[0]} --calib-k K`"
        )


def compute_run(
    data: dict[str, Any],
    *,
    source: Path | None = None,
    store_path: Path | None = None,
    show_progress: bool = False,
    host: PluginHost | None = None,
    notify: Notify | None = None,
    executor: Executor | None = None,
) -> RunOutcome:
    """Validate ``data``, score through the store, summarize: a ``RunOutcome``, nothing printed.

    Scores are computed by ``executor`` (default: the one the config names, closed at the
    end) and committed to the store by this process as they arrive.

    ``notify`` receives warnings as soon as they are known (plugin warnings, an input batch
    that fell back to noise) so a caller can show them before a long scoring run starts; the
    progress bar (``show_progress``) goes to stderr. Files are written by ``write_run``.
    """
    started = time.perf_counter()
    prep = prepare_run(data, source=source, host=host, notify=notify)
    check_untrained(prep.resolved)
    config, resolved, archs, setup, batch = prep.config, prep.resolved, prep.archs, prep.setup, prep.batch
    oracle_info = resolved.oracle.describe(config.dataset)
    truth = resolved.oracle.query(archs, config.dataset)
    _check_truth(truth, oracle_info, resolved.oracle.name, notify)
    # Protocols rank by oriented truth (larger = better): a loss or error metric is negated.
    sign = 1.0 if oracle_info.higher_is_better else -1.0
    ranked_truth = truth if sign > 0 else -truth

    store = ScoreStore(store_path or default_path())
    own_executor = executor is None
    executor = executor or executor_for(config)
    try:
        tables = _score_with_progress(Engine(setup, store, executor=executor), resolved, archs, show_progress)
    finally:
        store.close()
        if own_executor:
            executor.close()

    input_spec = setup.input_spec if batch is not None else _input_spec_unloaded(config)
    input_source = batch.kind if batch is not None else ""
    results = []
    for job in resolved.jobs:
        # The signature describes the run, not what each proxy happened to use, so every row
        # of one run is comparable with every other (the store key is the per-proxy one).
        sig = run_signature(
            proxy=job.name,
            proxy_version=str(job.proxy.version),
            space=resolved.space,
            task=config.dataset,
            oracle=oracle_info,
            sample=config.sample.describe(),
            input_spec=input_spec,
            input_source=input_source,
            init=f"{config.init}(s={config.seed})",
            calibration=job.calibration,
        )
        results.append(
            summarize(
                job,
                resolved.proxy_infos[job.name].distribution,
                tables[job.name],
                ranked_truth,
                sig=sig,
                input_kind=batch.kind if batch is not None else "none",
                input_fallback=bool(batch is not None and batch.fallback),
                n_resamples=config.bootstrap,
                confidence=config.confidence,
                seed=config.sample.seed,
                top_fraction=config.top_fraction,
                tie_policy=config.tie_policy,
                tie_keys=_tie_keys(job, resolved, archs, config) if config.tie_break == "rank_keys" else None,
                target_sign=sign,
            )
        )

    extras = _analyses(
        config,
        resolved,
        archs,
        ranked_truth,
        tables,
        results,
        oracle_info,
        source,
        sig_of=lambda name, version: run_signature(
            proxy=name,
            proxy_version=version,
            space=resolved.space,
            task=config.dataset,
            oracle=oracle_info,
            sample=config.sample.describe(),
            input_spec=input_spec,
            input_source=input_source,
            init=f"{config.init}(s={config.seed})",
        ),
    )

    resolved_cfg = resolved.resolved_config(config)
    hashed = {k: v for k, v in resolved_cfg.items() if k not in EXECUTION_FIELDS}
    if hashed.get("tie_break") == "none":  # the default adds nothing: earlier runs keep their hash
        hashed.pop("tie_break")
    cfg_hash = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()[:12]
    try:
        indices: list[int] | None = [resolved.space.index(a) for a in archs]
    except NotImplementedError:
        indices = None
    run = RunResult(
        protocol=config.protocol,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        config=resolved_cfg,
        config_hash=cfg_hash,
        oracle=OracleRecord(**oracle_info.__dict__),
        input=_input_record(batch),
        environment=environment(config.device, _plugin_versions(resolved), sandbox=executor.sandbox_note()),
        results=results,
        **extras,
        scores_file=None,
        duration_s=round(time.perf_counter() - started, 3),
    )
    computed = sum(t.computed for t in tables.values())
    total = sum(len(t.archs) for t in tables.values())
    return RunOutcome(run, archs, truth, tables, indices, computed, total - computed)


def _analyses(
    config, resolved: Resolved, archs, truth, tables, results, oracle_info, source, sig_of
) -> dict[str, Any]:
    """Per-proxy cost (P18) and equal-score groups (P5), set on ``results``; and the run-level
    records: paired significance in leaderboard order, score-score correlations (P14), the
    noise ceiling and reference rows."""
    space = resolved.space
    size = space.size()
    scores = {}
    for res, job in zip(results, resolved.jobs):
        values = oriented(tables[job.name].values, bool(job.proxy.higher_is_better))
        scores[job.name] = values
        res.cost = cost_record(tables[job.name], size)
        res.score_groups = score_groups(values, truth, n_random=config.bootstrap, seed=config.sample.seed)

    order = order_by_spearman({r.proxy: r.spearman.value for r in results})
    significance = compare_in_order(
        order,
        scores,
        truth,
        n_resamples=config.bootstrap,
        confidence=config.confidence,
        seed=config.sample.seed,
    )

    columns = dict(scores)
    try:
        costs = [space.cost(a, config.dataset) for a in archs]
        for name, attr in (("params", "params"), ("flops", "flops")):
            if name not in columns:
                columns[name] = np.array([getattr(c, attr) for c in costs], dtype=float)
    except NotImplementedError:
        pass
    columns["target"] = truth
    score_corr = score_correlations(
        columns,
        note="scores oriented (larger = better); params/flops from the space's analytic cost "
        "where no proxy of that name ran; target = the run's ground truth"
        + ("" if oracle_info.higher_is_better else " (negated: its metric is lower-is-better)"),
    )

    ceiling = None
    if config.ceiling != "off":
        oracle, info = resolved.oracle, oracle_info
        if config.ceiling != "auto":
            oracle = resolve_oracle(space, config.ceiling, "ceiling", source)
            info = oracle.describe(config.dataset)
        try:
            ceiling = noise_ceiling(oracle.query_seeds(archs, config.dataset), info, oracle.name)
        except NotImplementedError:
            ceiling = None
        if ceiling is not None and info != oracle_info:
            ceiling.note += f"; from oracle {oracle.name} ({info.target()}), not the run's target ({oracle_info.target()})"

    references = []
    for i, ref in enumerate(config.references):
        oracle = resolve_oracle(space, ref, f"references[{i}]", source)
        info = oracle.describe(config.dataset)
        name = f"ref:{oracle.name}"
        table = reference_table(name, archs, oracle.query(archs, config.dataset))
        references.append(
            summarize_values(
                name=name,
                version="-",
                distribution="(ground truth)",
                higher_is_better=info.higher_is_better,
                config=oracle.config.model_dump(mode="json"),
                table=table,
                truth=truth,
                needs_data=False,
                sig=sig_of(name, "-"),
                input_kind="none",
                input_fallback=False,
                n_resamples=config.bootstrap,
                confidence=config.confidence,
                seed=config.sample.seed,
                top_fraction=config.top_fraction,
                tie_policy=config.tie_policy,
                reference=f"{oracle.name}: {info.target()}",
                target_sign=1.0 if oracle_info.higher_is_better else -1.0,
            )
        )
    return {
        "significance": significance,
        "score_correlations": score_corr,
        "ceiling": ceiling,
        "references": references,
    }


def _tie_keys(job, resolved: Resolved, archs: list[str], config: RunConfig) -> Callable | None:
    """The proxy's finer rank keys (``Proxy.rank_keys``) of the given positions, oriented so that
    larger is better; None when the proxy reads more than the topology or offers none."""
    proxy = job.proxy
    if not job.topology_only or type(proxy).rank_keys is Proxy.rank_keys:
        return None
    sign = 1.0 if proxy.higher_is_better else -1.0

    def keys(positions: np.ndarray) -> np.ndarray:
        topologies = [resolved.space.topology(archs[int(i)], config.dataset) for i in positions]
        return sign * np.asarray(proxy.rank_keys(topologies), float)

    return keys


def write_run(outcome: RunOutcome, out_dir: Path) -> tuple[Path, Path]:
    """Write the scores CSV and the results JSON (which names the CSV); returns both paths."""
    from .files import ensure_dir, write_text

    ensure_dir(out_dir)
    scores_path = out_dir / f"{outcome.stem}.scores.csv"
    write_text(scores_path, outcome.scores_frame().to_csv(index=False), "scores file")
    outcome.run.scores_file = scores_path.name
    from .checksum import sealed_json

    results_path = write_text(out_dir / f"{outcome.stem}.json", sealed_json(outcome.run), "results file")
    return results_path, scores_path


def execute_run(
    data: dict[str, Any],
    *,
    source: Path | None,
    store_path: Path | None,
    out_dir: Path,
    show_progress: bool = True,
    use_abs: bool = False,
    host: PluginHost | None = None,
) -> int:
    """``nash run``: compute, write, print the leaderboard; the exit code."""
    outcome = compute_run(
        data,
        source=source,
        store_path=store_path,
        show_progress=show_progress,
        host=host,
        notify=lambda msg: err_console.print(msg, highlight=False),
    )
    results_path, scores_path = write_run(outcome, out_dir)
    render([(str(results_path), outcome.run)], console, use_abs=use_abs)
    console.print(
        f"results: {results_path}  scores: {scores_path}  "
        f"({outcome.computed} scores computed, {outcome.reused} from the store)"
    )
    return exit_code(outcome.run)


def exit_code(run: RunResult) -> int:
    """1 when some proxy failed on every architecture (said on stderr), else 0."""
    all_failed = [r.proxy for r in run.results if r.n_failed == r.n]
    if all_failed:
        err_console.print(f"[bold red]every architecture failed for:[/] {', '.join(all_failed)}")
        return 1
    return 0


def _check_truth(truth: np.ndarray, info, oracle: str, notify: Notify | None) -> None:
    """No ground truth at all is an input error (found before anything is scored); some
    missing values leave those architectures out of the correlations, said on stderr."""
    missing = int(np.isnan(truth).sum())
    where = f"oracle {oracle} ({info.source})" if getattr(info, "source", None) else f"oracle {oracle}"
    if missing == len(truth):
        raise HarnessError(
            f"{where}: no ground truth (NaN) for any of the {len(truth)} sampled architectures on "
            f"{info.dataset}; check the metric column and the sample"
        )
    if missing and notify:
        notify(
            f"[yellow]warning:[/] {where}: no ground truth (NaN) for {missing} of {len(truth)} sampled "
            "architectures; they are left out of the correlations"
        )


def _input_spec_unloaded(config: RunConfig) -> str:
    """The input a run would use, for runs whose proxies need none (so it is comparable)."""
    return f"unused(bs={config.input.batch_size},s={config.input.seed})"


def _set_threads(config: RunConfig) -> None:
    if config.threads and config.executor == "inline":
        from .threads import pin_threads

        pin_threads(config.threads)


def _score_with_progress(engine: Engine, resolved: Resolved, archs: list[str], show: bool):
    pending = engine.pending(resolved.jobs, archs)
    total = sum(len(v) for v in pending.values())
    if not show or total == 0:
        return engine.score(resolved.jobs, archs)
    columns = (
        TextColumn("[bold]scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task("scores", total=total)
        engine.progress = lambda n: progress.advance(task, n)
        try:
            return engine.score(resolved.jobs, archs)
        finally:
            engine.progress = None


def _input_record(batch) -> dict[str, Any]:
    if batch is None:
        return {"kind": "none", "note": "no proxy in this run needs input data"}
    return {
        "kind": batch.kind,
        "source": batch.source,
        "spec": batch.spec,
        "indices": list(batch.indices) if batch.indices is not None else None,
        "fallback": batch.fallback,
        "note": batch.note,
    }


def _plugin_versions(resolved: Resolved) -> dict[str, str]:
    """distribution -> version of every plugin the run used."""
    infos = [resolved.space_info, *resolved.proxy_infos.values()]
    return {i.distribution: i.dist_version for i in infos}
