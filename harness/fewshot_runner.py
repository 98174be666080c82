"""``nash few-shot``: what k labelled architectures buy a trainable proxy, next to a learned baseline.

The run config is an ordinary run config (its ``sample`` is the evaluation set, its proxies
the trainable proxies) plus a ``few_shot`` section (``protocols.fewshot.FewShotConfig``). For
each k and seed: draw the calibration set (disjoint from the evaluation set), fit every
trainable proxy on it through ``EngineFitTools``, score the evaluation architectures through
the engine and store (the fitted state's hash is in the store key and the signature), and fit
the reference baselines (ridge, gradient boosting) on the same labels. Metrics are on the
evaluation architectures only.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from nas_harness.leaderboard.fewshot_schema import (
    FewShotCell,
    FewShotLearner,
    FewShotResult,
    SingleProxyRow,
)
from nas_harness.leaderboard.schema import OracleRecord

from .api import (
    CalibrationInfo,
    Combinator,
    HarnessError,
    LabelledSet,
    TrainableProxy,
)
from .config import (
    EXECUTION_FIELDS,
    PluginRef,
    executor_for,
    merge,
    validate_plugin_config,
)
from .engine import Engine, ScoreTable
from .environment import environment
from .host import PluginHost
from .inputs import load_batch
from .oracle_guard import (
    GroundTruthTrap,
    LeakReport,
    find_oracles,
    oracle_code_objects,
    report,
    truth_files,
)
from .protocols.correlation import oracle_coverage
from .protocols.fewshot import (
    FewShotConfig,
    LabelSource,
    calibration_info,
    calibration_order,
    calibration_record,
    check_disjoint,
    eval_metrics,
    labelled_set,
    summarize_cells,
)
from .protocols.fitting import EngineFitTools, fit_fresh
from .protocols.learned_baseline import fit_predict, one_hot, prepare
from .resolve import resolve_oracle
from .runner import _check_truth, prepare_run
from .scoring import ProxyJob, ScoringSetup, score_arch
from .signatures import run_signature
from .store import ScoreStore, default_path

console = Console()
err_console = Console(stderr=True)
Notify = Callable[[str], None]


# --------------------------------------------------------------------------- the run


@dataclass
class FewShotOutcome:
    result: FewShotResult
    computed: int = 0

    @property
    def stem(self) -> str:
        return f"few-shot-{self.result.config_hash}"


def compute_few_shot(
    data: dict[str, Any],
    *,
    source: Path | None = None,
    store_path: Path | None = None,
    host: PluginHost | None = None,
    notify: Notify | None = None,
    executor=None,
) -> FewShotOutcome:
    """Validate, draw, fit, score, summarize: a ``FewShotOutcome``, nothing printed or written."""
    started = time.perf_counter()
    say = notify or (lambda _msg: None)
    data = dict(data)
    fs = _few_shot_config(data.pop("few_shot", {}) or {}, source)
    host = host or PluginHost.discover()
    for i, ref in enumerate(data.get("proxies") or []):
        name = ref if isinstance(ref, str) else ref.get("name")
        if not issubclass(host.get("proxy", name).cls, TrainableProxy):
            raise HarnessError(
                f"proxies[{i}]: {name!r} is not trainable (the few-shot protocol fits a "
                "TrainableProxy on k labelled architectures); zero-cost proxies go in "
                "few_shot.features (--features), where the learned baselines read them"
            )
    prep = prepare_run(data, source=source, host=host, notify=notify)
    config, resolved, evaluation = prep.config, prep.resolved, prep.archs
    features = _feature_jobs(fs.features, host, source)
    setup = _with_batch(prep.setup, [*resolved.jobs, *features], config, host, say)

    oracle_info = resolved.oracle.describe(config.dataset)
    raw_truth = np.asarray(resolved.oracle.query(evaluation, config.dataset), dtype=float)
    _check_truth(raw_truth, oracle_info, resolved.oracle.name, notify)
    truth = raw_truth if oracle_info.higher_is_better else -raw_truth

    label_source = _label_source(fs, resolved, config, host, source)
    src_setup = (
        setup
        if not label_source.transfer
        or (label_source.space is resolved.space and label_source.task == config.dataset)
        else _with_batch(
            ScoringSetup(
                space=label_source.space,
                dataset=label_source.task,
                init=config.init,
                seed=config.seed,
                device=config.device,
            ),
            [*resolved.jobs, *features],
            config,
            host,
            say,
        )
    )
    covered = oracle_coverage(label_source.oracle, label_source.task, label_source.space)
    exclude = evaluation if label_source.space.name == resolved.space.name else []
    kmax = max(fs.ks)
    orders = {seed: calibration_order(label_source, covered, exclude, kmax, seed) for seed in fs.seeds}
    for archs, _ in orders.values():
        if label_source.space.name == resolved.space.name:
            check_disjoint(resolved.space, archs, evaluation)

    store = ScoreStore(store_path or default_path())
    own_executor = executor is None
    executor = executor or executor_for(config)
    setups = {(label_source.space.name, label_source.task): src_setup}
    learners: list[FewShotLearner] = []
    notes: list[str] = []
    computed = 0
    try:
        sig_base = _signature_base(config, resolved, setup, oracle_info)
        for job in resolved.jobs:
            cells = []
            for k in fs.ks:
                for seed in fs.seeds:
                    archs, raw = orders[seed]
                    ls = labelled_set(label_source, archs[:k], raw[:k], seed)
                    say(f"[dim]few-shot: fitting {job.name} on k={k} (seed {seed})[/]")
                    cell = _trainable_cell(
                        job,
                        ls,
                        evaluation,
                        truth,
                        setup,
                        store,
                        host,
                        executor,
                        setups,
                        config,
                        fs,
                        sig_base,
                        label_source,
                    )
                    computed += cell.computed
                    cells.append(cell)
            learners.append(
                FewShotLearner(
                    name=job.name,
                    kind="trainable",
                    version=str(job.proxy.version),
                    config=job.proxy.config.model_dump(mode="json"),
                    cells=cells,
                    summary=summarize_cells(cells, fs.ks),
                )
            )

        singles: list[SingleProxyRow] = []
        if fs.baselines or features:
            eval_tables = (
                Engine(setup, store, executor=executor).score(features, evaluation) if features else {}
            )
            union = list(dict.fromkeys(a for archs, _ in orders.values() for a in archs[:kmax]))
            cal_tables = (
                Engine(src_setup, store, executor=executor).score(features, union) if features else {}
            )
            computed += sum(t.computed for t in [*eval_tables.values(), *cal_tables.values()])
            singles = [_single(job, eval_tables[job.name], truth, config.top_fraction) for job in features]
            encoding = None
            if fs.encoding and not label_source.transfer:
                encoding = one_hot(resolved.space, evaluation)
                if encoding is None:
                    notes.append(
                        f"space {resolved.space.name!r} has no decisions(): the baselines use proxy "
                        "scores only"
                    )
            elif fs.encoding:
                notes.append(
                    "calibration on another space/task: the baselines use proxy scores only (no encoding)"
                )
            for kind in fs.baselines:
                cells = []
                for k in fs.ks:
                    for seed in fs.seeds:
                        archs, raw = orders[seed]
                        ls = labelled_set(label_source, archs[:k], raw[:k], seed)
                        cells.append(
                            _baseline_cell(
                                kind,
                                ls,
                                features,
                                eval_tables,
                                cal_tables,
                                union,
                                resolved.space,
                                encoding,
                                evaluation,
                                truth,
                                config,
                                sig_base,
                            )
                        )
                learners.append(
                    FewShotLearner(
                        name=f"baseline:{kind}",
                        kind="baseline",
                        version="1",
                        config={
                            "model": kind,
                            "features": [j.name for j in features],
                            "encoding": encoding is not None,
                        },
                        cells=cells,
                        summary=summarize_cells(cells, fs.ks),
                    )
                )
    finally:
        store.close()
        if own_executor:
            executor.close()

    resolved_cfg = resolved.resolved_config(config)
    resolved_cfg["few_shot"] = fs.model_dump(mode="json")
    hashed = {k: v for k, v in resolved_cfg.items() if k not in EXECUTION_FIELDS}
    cfg_hash = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()[:12]
    result = FewShotResult(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        config=resolved_cfg,
        config_hash=cfg_hash,
        oracle=OracleRecord(**oracle_info.__dict__),
        calibration_oracle=OracleRecord(**label_source.info.__dict__),
        calibration_source=label_source.describe(),
        evaluation_sample=config.sample.describe(),
        evaluation_archs=list(evaluation),
        top_fraction=config.top_fraction,
        ks=fs.ks,
        seeds=fs.seeds,
        features=[j.name for j in features]
        + (
            ["encoding"]
            if fs.encoding and not label_source.transfer and resolved.space.decisions() is not None
            else []
        ),
        learners=learners,
        singles=singles,
        environment=environment(
            config.device,
            {i.distribution: i.dist_version for i in [resolved.space_info, *resolved.proxy_infos.values()]},
        ),
        notes=notes,
        duration_s=round(time.perf_counter() - started, 3),
    )
    return FewShotOutcome(result, computed)


def _few_shot_config(data: dict[str, Any], source: Path | None) -> FewShotConfig:
    return validate_plugin_config(FewShotConfig, data, "few_shot", source)  # type: ignore[return-value]


def _feature_jobs(refs: Sequence[PluginRef], host: PluginHost, source: Path | None) -> list[ProxyJob]:
    jobs = []
    for i, ref in enumerate(refs):
        info = host.get("proxy", ref.name)
        if issubclass(info.cls, (TrainableProxy, Combinator)):
            raise HarnessError(
                f"few_shot.features[{i}]: {ref.name!r} is not a zero-cost proxy (a baseline "
                "feature must be a plain proxy)"
            )
        jobs.append(
            ProxyJob(
                info.cls(
                    validate_plugin_config(
                        info.cls.Config, ref.config, f"few_shot.features[{i}].config", source
                    )
                )
            )
        )
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise HarnessError(f"few_shot.features: a proxy is listed twice ({', '.join(names)})")
    return jobs


def _with_batch(
    setup: ScoringSetup, jobs: Sequence[ProxyJob], config, host: PluginHost, say: Notify
) -> ScoringSetup:
    """``setup`` with an input batch when any job needs data and it has none yet."""
    if setup.batch is not None or not any(j.needs_data for j in jobs):
        return setup
    batch = load_batch(config.input, setup.space.dataset(setup.dataset), config.device, host.data_sources())
    if batch.fallback:
        say(f"[bold yellow]input:[/] {batch.note}")
    return replace(setup, batch=batch, input_spec=batch.spec)


def _label_source(fs: FewShotConfig, resolved, config, host: PluginHost, source: Path | None) -> LabelSource:
    cal = fs.calibration
    if cal.space is None and cal.dataset is None and cal.oracle is None:
        return LabelSource(resolved.space, config.dataset, resolved.oracle, transfer=False)
    space = resolved.space
    if cal.space is not None:
        info = host.get("space", cal.space.name)
        space = info.cls(
            validate_plugin_config(
                info.cls.Config, cal.space.config, "few_shot.calibration.space.config", source
            )
        )
    task = cal.dataset or (config.dataset if space.name == resolved.space.name else space.default_task())
    space.task(task)
    if cal.oracle is not None:
        oracle = resolve_oracle(space, cal.oracle, "few_shot.calibration.oracle", source)
    elif space is resolved.space:
        oracle = resolved.oracle
    else:
        oracles = space.oracles()
        if not oracles:
            raise HarnessError(
                f"few_shot.calibration.space: space {space.name!r} has no oracle to label with"
            )
        oracle = resolve_oracle(
            space, PluginRef(name=next(iter(oracles))), "few_shot.calibration.oracle", source
        )
    same = (
        space.name == resolved.space.name
        and task == config.dataset
        and oracle.name == resolved.oracle.name
        and oracle.config == resolved.oracle.config
    )
    return LabelSource(space, task, oracle if not same else resolved.oracle, transfer=not same)


def _signature_base(config, resolved, setup: ScoringSetup, oracle_info) -> dict[str, Any]:
    """The run's part of every signature (``nas_harness.signatures.run_signature`` arguments)."""
    return {
        "space": resolved.space,
        "task": config.dataset,
        "oracle": oracle_info,
        "sample": config.sample.describe(),
        "input_spec": setup.input_spec if setup.batch is not None else "none",
        "input_source": getattr(setup.batch, "kind", "") if setup.batch is not None else "",
        "init": f"{config.init}(s={config.seed})",
    }


def _trainable_cell(
    job: ProxyJob,
    ls: LabelledSet,
    evaluation: list[str],
    truth: np.ndarray,
    setup: ScoringSetup,
    store: ScoreStore,
    host: PluginHost,
    executor,
    setups,
    config,
    fs: FewShotConfig,
    sig_base: dict[str, Any],
    label_source: LabelSource,
) -> FewShotCell:
    tools = EngineFitTools(setups, store, host, executor, (ls.seed, ls.k))
    t0 = time.perf_counter()
    base = {"k": ls.k, "seed": ls.seed, "labels": ls.k, "n_eval": len(evaluation)}
    try:
        fitted = fit_fresh(job, [ls], tools)  # a fresh instance per calibration set
    except Exception as exc:  # noqa: BLE001 - a failing plugin never takes the run down
        cal = calibration_info(ls)
        return FewShotCell(
            **base,
            status="failed",
            reason=f"fit raised {type(exc).__name__}: {exc}"[:500],
            calibration=calibration_record(ls),
            fit_s=time.perf_counter() - t0,
            **_signature(job, sig_base, cal),
        )
    fit_s = time.perf_counter() - t0
    if label_source.space.name == setup.space.name:
        check_disjoint(setup.space, sorted(tools.scored), evaluation)  # fit touched calibration archs only
    cal = fitted.calibration
    state_hash = cal.state_hash
    sig = _signature(job, sig_base, cal)
    rec = calibration_record(ls, state_hash)
    computed = 0
    if fs.guard:
        verdict, first = _guarded_first(fitted, setup, evaluation[0], host, label_source)
        if verdict.leaked:
            return FewShotCell(
                **base, status="leak", reason=verdict.describe()[:500], calibration=rec, fit_s=fit_s, **sig
            )
        if first is not None:
            store.put(*first)
    table: ScoreTable = Engine(setup, store, executor=executor).score([fitted], evaluation)[job.name]
    computed += table.computed
    scores = table.values if job.proxy.higher_is_better else -table.values
    m = eval_metrics(scores, truth, config.top_fraction)
    failed = len(table.failures)
    status = "ok" if m.n_used >= 3 else "failed"
    reason = (
        None
        if status == "ok"
        else (
            f"{failed} of {len(evaluation)} evaluation scores failed"
            + (f": {next(iter(table.failures.values()))}" if failed else "")
        )
    )
    return FewShotCell(
        **base,
        status=status,
        reason=reason,
        calibration=rec,
        n_used=m.n_used,
        spearman=m.spearman,
        kendall=m.kendall,
        top_retrieval=m.top_retrieval,
        fit_s=fit_s,
        computed=computed,
        **sig,
    )


def _guarded_first(
    job: ProxyJob, setup: ScoringSetup, arch: str, host: PluginHost, source: LabelSource
) -> tuple[LeakReport, tuple | None]:
    """Score one evaluation architecture in this process under the oracle-leak guard; the record
    goes to the store when there is no leak (so the guard costs no extra score)."""
    reached = find_oracles(job.proxy, name=f"proxy {job.name}")[0]
    roots = truth_files(source.oracle)
    codes = _codes(host, type(source.oracle))
    with GroundTruthTrap(codes) as trap:
        records = score_arch(setup, arch, [job])
    verdict = report(f"proxy {job.name!r}", trap, roots, reached)
    return verdict, (records[0] if records else None)


_CODES: dict[int, dict] = {}


def _codes(host: PluginHost, oracle_cls: type) -> dict:
    """The oracle code objects of ``host``'s spaces, collected once per host (it builds every space)."""
    if id(host) not in _CODES:
        _CODES.clear()
        _CODES[id(host)] = oracle_code_objects(host, [oracle_cls])
    return _CODES[id(host)]


def _signature(job: ProxyJob, base: dict[str, Any], calibration: CalibrationInfo) -> dict[str, Any]:
    sig = run_signature(proxy=job.name, proxy_version=str(job.proxy.version), calibration=calibration, **base)
    return {"signature": sig.__dict__.copy(), "signature_text": sig.render()}


def _baseline_cell(
    kind: str,
    ls: LabelledSet,
    features: list[ProxyJob],
    eval_tables,
    cal_tables,
    union: list[str],
    space,
    encoding,
    evaluation: list[str],
    truth: np.ndarray,
    config,
    sig_base,
) -> FewShotCell:
    where = {a: i for i, a in enumerate(union)}
    rows = [where[a] for a in ls.archs]
    columns = {}
    for job in features:
        sign = 1.0 if job.proxy.higher_is_better else -1.0
        columns[job.name] = (sign * cal_tables[job.name].values[rows], sign * eval_tables[job.name].values)
    enc = None
    if encoding is not None:  # the evaluated space's one-hot decisions: (evaluation rows, names)
        ev_enc, names = encoding
        enc = (one_hot(space, list(ls.archs))[0], ev_enc, names)
    cal = calibration_info(ls)
    sig = run_signature(proxy=f"baseline:{kind}", proxy_version="1", calibration=cal, **sig_base)
    base = {
        "k": ls.k,
        "seed": ls.seed,
        "labels": ls.k,
        "n_eval": len(evaluation),
        "calibration": calibration_record(ls),
        "signature": sig.__dict__.copy(),
        "signature_text": sig.render(),
    }
    t0 = time.perf_counter()
    try:
        prepared = prepare(columns, enc)
        preds, details = fit_predict(kind, prepared, np.asarray(ls.targets, dtype=float), ls.seed)
    except ValueError as exc:
        return FewShotCell(**base, status="failed", reason=str(exc), fit_s=time.perf_counter() - t0)
    m = eval_metrics(preds, truth, config.top_fraction)
    return FewShotCell(
        **base,
        status="ok" if m.n_used >= 3 else "failed",
        n_used=m.n_used,
        spearman=m.spearman,
        kendall=m.kendall,
        top_retrieval=m.top_retrieval,
        fit_s=time.perf_counter() - t0,
        details=details,
    )


def _single(job: ProxyJob, table: ScoreTable, truth: np.ndarray, top_fraction: float) -> SingleProxyRow:
    scores = table.values if job.proxy.higher_is_better else -table.values
    m = eval_metrics(scores, truth, top_fraction)
    return SingleProxyRow(
        proxy=job.name,
        spearman=m.spearman,
        kendall=m.kendall,
        top_retrieval=m.top_retrieval,
        n_used=m.n_used,
        n_failed=len(table.failures),
    )


# --------------------------------------------------------------------------- files and terminal


def write_few_shot(outcome: FewShotOutcome, out_dir: Path) -> Path:
    from .checksum import sealed_json
    from .files import ensure_dir, write_text

    ensure_dir(out_dir)
    return write_text(out_dir / f"{outcome.stem}.json", sealed_json(outcome.result), "results file")


def render_few_shot(result: FewShotResult, out: Console) -> None:
    """One row per learner and k: mean ± std over the seeds of ρ, τ and top retrieval; the
    baselines' single features below, on the same evaluation architectures, without labels."""
    pct = round(100 * result.top_fraction)
    table = Table(
        title=f"few-shot: {result.oracle.dataset} on {len(result.evaluation_archs)} evaluation archs "
        f"(calibration: {result.calibration_source}; seeds {', '.join(map(str, result.seeds))})"
    )
    for col in ("learner", "k (labels)", "ρ", "τ", f"top-{pct}%", "failed"):
        table.add_column(col, justify="left" if col == "learner" else "right")
    for learner in result.learners:
        for s in learner.summary:
            table.add_row(
                learner.name,
                str(s.k),
                _pm(s.spearman),
                _pm(s.kendall),
                _pm(s.top_retrieval),
                str(s.failed) if s.failed else "",
            )
        table.add_section()
    for row in result.singles:
        table.add_row(
            f"[dim]{row.proxy} (no labels)[/]",
            "0",
            _num(row.spearman),
            _num(row.kendall),
            _num(row.top_retrieval),
            str(row.n_failed) if row.n_failed else "",
        )
    out.print(table)
    for learner in result.learners:
        for cell in learner.cells:
            if cell.status != "ok":
                out.print(
                    f"[bold red]{learner.name} k={cell.k} seed={cell.seed}: {cell.status}[/] {cell.reason}",
                    highlight=False,
                )
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}", highlight=False)


def _pm(stat) -> str:
    if stat.mean is None:
        return "—"
    return f"{stat.mean:.3f} ± {stat.std:.3f}" if stat.n > 1 else f"{stat.mean:.3f}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def execute_few_shot(
    data: dict[str, Any],
    *,
    source: Path | None,
    store_path: Path | None,
    out_dir: Path,
    host: PluginHost | None = None,
) -> int:
    """``nash few-shot``: compute, write the JSON, print the table; 1 when a cell leaked or
    every cell of a learner failed."""
    outcome = compute_few_shot(
        data,
        source=source,
        store_path=store_path,
        host=host,
        notify=lambda msg: err_console.print(msg, highlight=False),
    )
    path = write_few_shot(outcome, out_dir)
    render_few_shot(outcome.result, console)
    console.print(f"results: {path}  ({outcome.computed} scores computed)")
    bad = [
        f"{lr.name} ({c.status})" for lr in outcome.result.learners for c in lr.cells if c.status == "leak"
    ]
    bad += [lr.name for lr in outcome.result.learners if lr.cells and all(c.status != "ok" for c in lr.cells)]
    if bad:
        err_console.print(f"[bold red]failed:[/] {', '.join(dict.fromkeys(bad))}")
        return 1
    return 0


def few_shot_data(run_data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A run config with its ``few_shot`` section merged with flag overrides."""
    data = dict(run_data)
    data["few_shot"] = merge(data.get("few_shot") or {}, overrides)
    return data
