"""P15 budgeted search and P16 query counts: run a strategy, then look up ground truth.

A strategy gets a ``SearchSpaceView`` and a budgeted ``ScoreFn`` (see ``search_view``) and
nothing else; the proxy's scores come through the engine (so through the score store: a
repeated search computes nothing again). Ground truth is read only after the strategy has
returned: the chosen architecture's value under each oracle, its rank in the whole space, the
space optimum, and the best-so-far trajectory.

With ``objective = oracle`` the score *is* an oracle (WRCor's "X-ValAcc" upper bound; P16's
queries to the optimum). The score_fn is then backed by that oracle, not by the engine, and
every result of such a cell is marked ``uses_ground_truth``.

Data in, data out; the runner wires this to the CLI, files and the terminal.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nas_harness.leaderboard.search_schema import Optimum, SearchRepeat, Stat, TrajectoryPoint

from ..api import BudgetExhausted, HarnessError, Oracle, OracleInfo, SearchHistory, Space, Strategy
from ..engine import Engine
from ..oracle_guard import GroundTruthTrap, oracle_code_objects
from ..scoring import ProxyJob
from ..search_view import Evaluate, ScoreFn, Scorer, space_backend, view_over
from ..strategy_sandbox import StrategyProcess

MAX_CHECKPOINTS = 100  # best-so-far evaluations for population-relative objectives


# --------------------------------------------------------------------------- objectives


@dataclass
class Objective:
    """What a search maximizes, as the protocol sees it (the strategy sees only ``ScoreFn``)."""

    label: str  # proxy name, or "oracle:NAME"
    kind: str  # "proxy" | "oracle"
    evaluate: Evaluate  # oriented: larger is better, NaN where it failed
    relative: bool = False
    version: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    times: dict[str, float] = field(default_factory=dict)  # stored compute time per arch (proxies)

    @property
    def uses_ground_truth(self) -> bool:
        return self.kind == "oracle"


def proxy_objective(engine: Engine, job: ProxyJob) -> Objective:
    """A proxy scored through the engine and its store; combinators rank the set of each call."""
    times: dict[str, float] = {}
    sign = 1.0 if job.proxy.higher_is_better else -1.0

    def evaluate(archs: list[str]) -> np.ndarray:
        table = engine.score([job], archs)[job.name]
        for record in table.records:
            if record.wall_s is not None:
                times.setdefault(record.arch, float(record.wall_s))
        return sign * table.values

    return Objective(
        label=job.name,
        kind="proxy",
        evaluate=evaluate,
        relative=job.is_combinator,
        version=str(job.proxy.version),
        config=job.proxy.config.model_dump(mode="json"),
        times=times,
    )


def oracle_objective(oracle: Oracle, dataset: str) -> Objective:
    """Ground truth as the score: only for upper bounds and query counts, and marked as such."""
    info = oracle.describe(dataset)
    sign = 1.0 if info.higher_is_better else -1.0

    def evaluate(archs: list[str]) -> np.ndarray:
        return sign * np.asarray(oracle.query(archs, dataset), dtype=float)

    return Objective(
        label=f"oracle:{oracle.name}",
        kind="oracle",
        evaluate=evaluate,
        relative=False,
        version=None,
        config={"oracle": oracle.name, **oracle.config.model_dump(mode="json"), "target": info.target()},
    )


# --------------------------------------------------------------------------- one search


@dataclass
class SearchRun:
    """What one search did, before any ground truth is looked at."""

    seed: int
    chosen: str
    order: list[str]  # distinct architectures in the order they were first scored
    values: dict[str, float]  # absolute objective values (empty for relative objectives)
    wall_s: float
    scoring_s: float
    strategy_info: dict[str, Any]


def search_once(
    strategy: Strategy,
    space: Space,
    dataset: str,
    objective: Objective,
    budget: int,
    seed: int,
    on_new: Callable[[int], None] | None = None,
    process: StrategyProcess | None = None,
) -> SearchRun:
    """Run ``strategy`` once with a fresh view, score_fn and generator seeded by ``seed``: in
    ``process`` (sandboxed, out of the driver) when given, else here under the oracle-leak guard."""
    if budget < 1:
        raise HarnessError(f"budget must be at least 1, got {budget}")
    trap = GroundTruthTrap(oracle_code_objects())

    def evaluate(archs):
        with trap.paused():  # the harness's own scoring (an oracle objective included) is not the strategy's
            return objective.evaluate(archs)

    scorer = Scorer(evaluate, budget, relative=objective.relative, parse=space.parse, on_new=on_new)
    backend = space_backend(space, dataset)
    t0 = time.perf_counter()
    if process is not None:
        try:
            dump = process.search(strategy, backend, scorer, budget, seed)
        finally:
            wall = time.perf_counter() - t0
    else:
        dump, wall = _search_here(strategy, backend, scorer, budget, seed, trap)
    try:
        history = SearchHistory.model_validate(dump)
    except ValueError as exc:
        raise HarnessError(f"strategy {strategy.name!r} returned a malformed SearchHistory: {exc}") from None
    if scorer.used > budget:  # the score_fn refuses first; this guards the guard
        raise RuntimeError(f"strategy {strategy.name!r} scored {scorer.used} architectures, budget {budget}")
    try:
        chosen = space.parse(history.chosen)
    except HarnessError as exc:
        raise HarnessError(f"strategy {strategy.name!r} chose an invalid architecture: {exc}") from None
    if not scorer.scored(chosen):
        raise HarnessError(f"strategy {strategy.name!r} chose {chosen}, which it never scored")
    extra = {k: v for k, v in dump.items() if k not in SearchHistory.model_fields}
    return SearchRun(
        seed=seed,
        chosen=chosen,
        order=list(scorer.order),
        values=dict(scorer.values) if not objective.relative else {},
        wall_s=wall,
        scoring_s=scorer.scoring_s,
        strategy_info=extra,
    )


def _search_here(strategy, backend, scorer, budget, seed, trap) -> tuple[dict, float]:
    """The search in this process (unsandboxed), watched by the oracle-leak guard."""
    view, score_fn = view_over(backend), ScoreFn(scorer)
    t0 = time.perf_counter()
    try:
        with trap:  # the oracle-leak guard: the strategy's own code never calls into an oracle
            history = strategy.search(view, score_fn, budget, np.random.default_rng(seed))
    except BudgetExhausted as exc:
        raise HarnessError(
            f"strategy {strategy.name!r} did not stop at its budget of {budget}: {exc}"
        ) from None
    finally:
        wall = time.perf_counter() - t0
        view.close()
        score_fn.close()
    if trap.calls:
        raise HarnessError(
            f"ground-truth leak: strategy {strategy.name!r} called into an oracle while searching: "
            f"{', '.join(sorted(set(trap.calls))[:5])}"
        )
    if not isinstance(history, SearchHistory):
        raise HarnessError(
            f"strategy {strategy.name!r} returned {type(history).__name__}, not a SearchHistory"
        )
    return history.model_dump(mode="json"), wall


# --------------------------------------------------------------------------- ground truth


@dataclass
class SpaceTruth:
    """An oracle's values over the whole space (when the space is enumerable)."""

    oracle: Oracle
    info: OracleInfo
    dataset: str
    all_values: np.ndarray | None  # oriented larger-is-better, by space index; None if not enumerable
    optimum: Optimum | None

    def query(self, archs: Sequence[str]) -> np.ndarray:
        """Raw values (as the oracle reports them) of ``archs``."""
        return np.asarray(self.oracle.query(list(archs), self.dataset), dtype=float) if archs else np.empty(0)

    def oriented(self, values: np.ndarray) -> np.ndarray:
        return values if self.info.higher_is_better else -values

    def rank(self, value: float) -> int | None:
        """1 + number of architectures of the space strictly better than ``value``."""
        if self.all_values is None or not math.isfinite(value):
            return None
        v = value if self.info.higher_is_better else -value
        return 1 + int(np.sum(self.all_values > v + 1e-12))

    def is_optimal(self, value: float) -> bool:
        return self.optimum is not None and math.isfinite(value) and abs(value - self.optimum.value) <= 1e-9


def space_truth(space: Space, oracle: Oracle, dataset: str) -> SpaceTruth:
    info = oracle.describe(dataset)
    size = space.size()
    if size is None:
        return SpaceTruth(oracle, info, dataset, None, None)
    archs = [space.arch(i) for i in range(size)]
    raw = np.asarray(oracle.query(archs, dataset), dtype=float)
    oriented = np.where(np.isfinite(raw), raw if info.higher_is_better else -raw, -np.inf)
    have = int(np.isfinite(raw).sum())
    optimum = None
    if have:
        best = int(np.argmax(oriented))
        optimum = Optimum(
            value=float(raw[best]), arch=archs[best], index=best, space_size=size, n_with_value=have
        )
    return SpaceTruth(oracle, info, dataset, oriented, optimum)


# --------------------------------------------------------------------------- after the search


def best_so_far(run: SearchRun, objective: Objective) -> tuple[list[int | None], bool]:
    """Index into ``run.order`` of the best-so-far architecture at each step, and exactness.

    Absolute objectives: a running argmax (ties keep the earlier one; failed scores never
    lead). Population-relative ones: the objective over the first t architectures, at up to
    ``MAX_CHECKPOINTS`` steps (None elsewhere).
    """
    n = len(run.order)
    if not objective.relative:
        out: list[int | None] = []
        best, best_v = None, -math.inf
        for i, arch in enumerate(run.order):
            v = run.values.get(arch, math.nan)
            if math.isfinite(v) and (best is None or v > best_v):
                best, best_v = i, v
            out.append(best if best is not None else 0)
        return out, True
    if n <= MAX_CHECKPOINTS:
        steps = list(range(1, n + 1))
    else:
        steps = sorted({int(round(x)) for x in np.linspace(1, n, MAX_CHECKPOINTS)})
    marks: list[int | None] = [None] * n
    for t in steps:
        values = np.asarray(objective.evaluate(run.order[:t]), dtype=float)
        values = np.where(np.isfinite(values), values, -np.inf)
        marks[t - 1] = int(np.argmax(values))
    return marks, n <= MAX_CHECKPOINTS


def evaluate_run(
    run: SearchRun,
    space: Space,
    objective: Objective,
    target: SpaceTruth,
    also: Sequence[SpaceTruth],
) -> tuple[SearchRepeat, list[dict[str, Any]]]:
    """Ground truth for one finished search: the repeat record and its per-step rows."""
    order_truth = target.query(run.order)
    truth_of = dict(zip(run.order, order_truth.tolist()))
    chosen_value = float(target.query([run.chosen])[0])
    marks, exact = best_so_far(run, objective)

    trajectory: list[TrajectoryPoint] = []
    rows: list[dict[str, Any]] = []
    steps_to_opt = None
    last = None
    for step, (arch, mark) in enumerate(zip(run.order, marks), start=1):
        best_arch = run.order[mark] if mark is not None else None
        best_acc = truth_of[best_arch] if best_arch is not None else None
        if best_arch is not None and best_arch != last:
            trajectory.append(TrajectoryPoint(step=step, arch=best_arch, accuracy=_num(best_acc)))
            last = best_arch
        if steps_to_opt is None and best_acc is not None and target.is_optimal(best_acc):
            steps_to_opt = step
        rows.append(
            {
                "step": step,
                "index": _index(space, arch),
                "arch": arch,
                "score": run.values.get(arch) if not objective.relative else None,
                "accuracy": _num(truth_of[arch]),
                "best_arch": best_arch,
                "best_accuracy": _num(best_acc) if best_arch is not None else None,
            }
        )
    finite = order_truth[np.isfinite(order_truth)]
    best_explored = None
    if finite.size:
        best_explored = float(finite.max() if target.info.higher_is_better else finite.min())
    score_time = sum(objective.times.get(a, 0.0) for a in run.order)
    repeat = SearchRepeat(
        seed=run.seed,
        chosen=run.chosen,
        chosen_index=_index(space, run.chosen),
        accuracy=_num(chosen_value),
        also=[_num(float(t.query([run.chosen])[0])) for t in also],
        rank=target.rank(chosen_value),
        best_explored=best_explored,
        n_scored=len(run.order),
        steps_to_optimum=steps_to_opt,
        wall_s=round(run.wall_s, 4),
        scoring_s=round(run.scoring_s, 4),
        cost_s=round(max(run.wall_s - run.scoring_s, 0.0) + score_time, 4),
        trajectory=trajectory,
        trajectory_exact=exact,
        strategy_info=run.strategy_info,
    )
    return repeat, rows


def stat(values: Sequence[float | None]) -> Stat:
    """Mean ± population std (ddof = 0) over the values that are numbers."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return Stat(mean=None, std=None, n=0)
    return Stat(mean=float(np.mean(xs)), std=float(np.std(xs)), n=len(xs))


def _num(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _index(space: Space, arch: str) -> int | None:
    try:
        return int(space.index(arch))
    except NotImplementedError:
        return None
