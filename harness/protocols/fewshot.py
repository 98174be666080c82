"""The few-shot protocol's data steps: calibration sets, labelled sets, metrics over seeds.

For each k and seed the protocol draws k labelled architectures (the calibration set) from a
pool that never contains an evaluation architecture, hands them to a learner as a
``LabelledSet`` (targets oriented larger = better, the oracle's description), and measures the
learner's scores on the evaluation architectures only. The sets of one seed are nested (the
first k of one seeded order), so a larger k adds labels to a smaller one's.

Data in, data out; ``fewshot_runner`` wires it to the engine, store, files and terminal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import Field, field_validator

from nas_harness.leaderboard.fewshot_schema import (
    CalibrationRecord,
    FewShotCell,
    FewShotSummary,
)
from nas_harness.leaderboard.search_schema import Stat

from ..api import CalibrationInfo, HarnessError, LabelledSet, Oracle, OracleInfo, Space
from ..config import PluginRef, Strict
from ..stats import rank_correlation
from .topk import topk_metrics

# Cheap zero-cost proxies the learned baseline reads by default (NAS-Bench-Suite-Zero's kind).
DEFAULT_FEATURES = ("params", "flops", "synflow", "naswot", "jacob_cov", "snip", "grad_norm")
POOL_LIMIT = 2_000_000  # enumerate a full space up to this size to draw calibration sets


class CalibrationSource(Strict):
    """Where calibration labels come from; every field None = the evaluated space, task, oracle."""

    space: PluginRef | None = None
    dataset: str | None = None
    oracle: PluginRef | None = None

    @field_validator("space", "oracle", mode="before")
    @classmethod
    def _name_to_ref(cls, value):
        return {"name": value} if isinstance(value, str) else value


class FewShotConfig(Strict):
    """The few-shot part of a run config (``few_shot:``); the rest is an ordinary run config
    whose ``sample`` is the evaluation set."""

    ks: list[int] = Field(default_factory=lambda: [10, 20, 50, 100], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1)
    calibration: CalibrationSource = CalibrationSource()
    baselines: list[str] = Field(
        default_factory=lambda: ["ridge", "gbm"], description="learned baselines: ridge, gbm (empty: none)"
    )
    features: list[PluginRef] = Field(
        default_factory=lambda: [PluginRef(name=n) for n in DEFAULT_FEATURES],
        description="zero-cost proxies whose scores are the baselines' features",
    )
    encoding: bool = Field(
        True,
        description="add the space's one-hot decision vector to the features "
        "(when the space has decisions() and calibration is on the evaluated space)",
    )
    guard: bool = Field(True, description="watch every fitted proxy's score for ground-truth leaks")

    @field_validator("ks")
    @classmethod
    def _ks(cls, value: list[int]) -> list[int]:
        if any(k < 2 for k in value):
            raise ValueError("every k must be at least 2 (a ranking needs two labels)")
        return sorted(dict.fromkeys(value))

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, value: list[int]) -> list[int]:
        return list(dict.fromkeys(value))

    @field_validator("baselines")
    @classmethod
    def _baselines(cls, value: list[str]) -> list[str]:
        bad = [b for b in value if b not in ("ridge", "gbm")]
        if bad:
            raise ValueError(f"unknown baseline {bad[0]!r}; known: ridge, gbm")
        return list(dict.fromkeys(value))

    @field_validator("features", mode="before")
    @classmethod
    def _feature_refs(cls, value):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


# --------------------------------------------------------------------------- calibration sets


@dataclass(frozen=True)
class LabelSource:
    """The space, task and oracle calibration labels are read from."""

    space: Space
    task: str
    oracle: Oracle
    transfer: bool  # not the evaluated (space, task, oracle)

    @property
    def info(self) -> OracleInfo:
        return self.oracle.describe(self.task)

    def describe(self) -> str:
        text = f"{self.space.name}:{self.task}/{self.oracle.name}"
        return f"transfer:{text}" if self.transfer else text


def calibration_order(
    source: LabelSource, covered: list[str] | None, exclude: Sequence[str], n: int, seed: int
) -> tuple[list[str], np.ndarray]:
    """``n`` labelled architectures of ``source`` in a seeded order, none in ``exclude``
    (compared by the space's isomorphism key), with their raw targets.

    Drawn from the oracle's coverage when it is partial, else from the whole space (enumerated
    when it is small enough, sampled otherwise). An architecture without a label is skipped.
    """
    space = source.space
    banned = {space.iso_key(a) for a in exclude}
    rng = np.random.default_rng(seed)
    size = space.size()
    pool: list[str] | None = None
    if covered is not None:
        pool = sorted({a for a in covered if space.iso_key(a) not in banned})
    elif size is not None and size <= POOL_LIMIT:
        pool = [a for a in (space.arch(i) for i in range(size)) if space.iso_key(a) not in banned]
    where = (
        f"the {len(pool) if pool is not None else '?'} architectures the oracle {source.oracle.name!r} labels "
        f"for {source.task!r} in space {space.name!r} outside the {len(banned)} evaluation architectures"
    )
    if pool is not None and n > len(pool):
        raise HarnessError(
            f"few_shot.ks: k={n} needs {n} calibration architectures, but there are only {where}; "
            f"ask for k ≤ {len(pool)} or a smaller evaluation sample (--n)"
        )
    archs: list[str] = []
    values: list[float] = []
    seen: set[str] = set()
    order = iter(rng.permutation(len(pool))) if pool is not None else None
    attempts = 0
    while len(archs) < n:
        need = n - len(archs)
        if order is not None:
            batch = [pool[int(i)] for _, i in zip(range(max(need, 16)), order)]  # type: ignore[index]
            if not batch:
                break
        else:
            attempts += 1
            if attempts > 50:
                break
            batch = [a for a in space.sample(max(2 * need, 16), rng) if space.iso_key(a) not in banned]
        batch = [a for a in batch if space.iso_key(a) not in seen]
        seen.update(space.iso_key(a) for a in batch)
        truth = np.asarray(source.oracle.query(batch, source.task), dtype=float) if batch else np.array([])
        for a, t in zip(batch, truth):
            if math.isfinite(t) and len(archs) < n:
                archs.append(a)
                values.append(float(t))
    if len(archs) < n:
        raise HarnessError(
            f"few_shot.ks: k={n} needs {n} labelled calibration architectures; found only "
            f"{len(archs)} with a label among {where}"
        )
    return archs, np.asarray(values, dtype=float)


def labelled_set(source: LabelSource, archs: Sequence[str], raw: np.ndarray, seed: int) -> LabelledSet:
    """The ``LabelledSet`` a learner sees: targets oriented so that larger is better."""
    info = source.info
    targets = np.asarray(raw, dtype=float) * (1.0 if info.higher_is_better else -1.0)
    return LabelledSet(
        space=source.space.name,
        task=source.task,
        archs=tuple(archs),
        targets=targets,
        oracle=info,
        source=source.describe(),
        seed=seed,
        task_info=source.space.task(source.task),
    )


def check_disjoint(space: Space, calibration: Sequence[str], evaluation: Sequence[str]) -> None:
    """The protocol's promise, enforced: no calibration architecture is evaluated."""
    ev = {space.iso_key(a) for a in evaluation}
    both = [a for a in calibration if space.iso_key(a) in ev]
    if both:
        raise RuntimeError(
            f"calibration and evaluation sets overlap on {len(both)} architectures, e.g. {both[0]}"
        )


def calibration_info(labelled: LabelledSet, state_hash: str = "") -> CalibrationInfo:
    return CalibrationInfo(
        source=labelled.source, k=labelled.k, seed=labelled.seed, hash=labelled.hash, state_hash=state_hash
    )


def calibration_record(labelled: LabelledSet, state_hash: str = "") -> CalibrationRecord:
    return CalibrationRecord(
        source=labelled.source,
        space=labelled.space,
        task=labelled.task,
        k=labelled.k,
        seed=labelled.seed,
        hash=labelled.hash,
        state_hash=state_hash,
        archs=list(labelled.archs),
    )


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class EvalMetrics:
    n_used: int
    spearman: float | None
    kendall: float | None
    top_retrieval: float | None


def eval_metrics(scores: np.ndarray, truth: np.ndarray, top_fraction: float) -> EvalMetrics:
    """ρ, τ and top-fraction retrieval of oriented ``scores`` against oriented ``truth``."""
    corr = rank_correlation(scores, truth, n_resamples=0)
    top = None
    if np.isfinite(scores).any() and np.isfinite(truth).any():
        top = float(
            topk_metrics(np.where(np.isfinite(scores), scores, -np.inf), truth, top_fraction).retrieval
        )
    return EvalMetrics(corr.n, _num(corr.spearman), _num(corr.kendall), top)


def summarize_cells(cells: Sequence[FewShotCell], ks: Sequence[int]) -> list[FewShotSummary]:
    out = []
    for k in ks:
        mine = [c for c in cells if c.k == k]
        ok = [c for c in mine if c.status == "ok"]
        out.append(
            FewShotSummary(
                k=k,
                labels=k,
                failed=len(mine) - len(ok),
                spearman=stat([c.spearman for c in ok]),
                kendall=stat([c.kendall for c in ok]),
                top_retrieval=stat([c.top_retrieval for c in ok]),
            )
        )
    return out


def stat(values: Sequence[float | None]) -> Stat:
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return Stat(mean=None, std=None, n=0)
    return Stat(mean=float(np.mean(xs)), std=float(np.std(xs)), n=len(xs))


def _num(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
