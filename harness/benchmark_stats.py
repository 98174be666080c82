"""Statistics of a cross-space suite's headline: the mean over benchmarks of each benchmark's mean
signed Spearman ρ over its tasks, and its bootstrap over architectures.

Each benchmark is weighted once, whatever its number of tasks (TransNAS's seven tasks do not
outvote NB101's one). A bootstrap resample draws architectures with replacement within each
benchmark (its tasks share the sample, so one draw serves all of them: their dependence is kept);
benchmarks are drawn independently. The draws depend only on the seed, the benchmark's position
and its mask, so two proxies compared on the same architectures see the same resamples (paired).

A proxy whose scores on a task are all equal ranks nothing there: its ρ is undefined. A suite whose
definition says ``constant_scores: "zero"`` counts that task as ρ 0 in its benchmark and the
headline (the expected ρ of a random tie-break), so one tanh decoder that saturates SynFlow does
not leave SynFlow without a headline; ``"undefined"`` (definitions that predate the field) leaves the
headline undefined. Not applicable is different: such a task is left out, never counted as 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .stats import PairedTest, difference_interval, rowwise_spearman

RANKS_NOTHING = (
    "every score is equal, so it ranks nothing: ρ counted as 0 (the expectation of a random tie-break)"
)
CONSTANT_SCORES_DEFAULT = "undefined"  # what a definition without the field means


def counts_constant_as_zero(definition: Mapping) -> bool:
    """Whether a suite definition counts a task with constant scores as ρ 0 (module docstring)."""
    return definition.get("constant_scores", CONSTANT_SCORES_DEFAULT) == "zero"


def ranks_nothing(scores: np.ndarray, target: np.ndarray) -> bool:
    """True when the proxy's scores on the architectures its ρ is computed over (score and target
    finite, at least four) are all equal."""
    x = np.asarray(scores, dtype=float)
    keep = np.isfinite(x) & np.isfinite(np.asarray(target, dtype=float))
    used = x[keep]
    return used.size >= 4 and bool(np.all(used == used[0]))


def headline_of(benchmark_rhos: Mapping[str, float | None]) -> float | None:
    """Mean over benchmarks; None when one of them has no ρ (the proxy failed there) or none is given."""
    values = list(benchmark_rhos.values())
    if not values or any(v is None for v in values):
        return None
    return float(np.mean(values))


def benchmark_rhos(
    column_rhos: Mapping[str, float | None],
    benchmark_of: Mapping[str, str],
    not_applicable: Sequence[str] = (),
    constant: Sequence[str] = (),
) -> dict[str, float | None]:
    """Benchmark → mean ρ over its applicable columns (None if one of them failed; a ``constant``
    column, where the proxy ranks nothing, counts as 0); benchmarks where every column is not
    applicable are left out."""
    out: dict[str, list[float | None]] = {}
    for column, bench in benchmark_of.items():
        if column in not_applicable:
            continue
        rho = column_rhos.get(column)
        out.setdefault(bench, []).append(0.0 if rho is None and column in constant else rho)
    return {
        b: (None if any(v is None for v in vs) else float(np.mean(vs)))
        for b, vs in out.items()
        if vs is not None
    }


@dataclass(frozen=True)
class Benchmark:
    """One benchmark's oriented targets (larger = better), one array per task, all on its sample."""

    name: str
    truths: tuple[np.ndarray, ...]


class BenchmarkBootstrap:
    """Bootstrap of the cross-space headline over architectures (see the module docstring)."""

    def __init__(
        self,
        benchmarks: Sequence[Benchmark],
        *,
        n_resamples: int = 1000,
        confidence: float = 0.95,
        seed: int = 0,
        constant_as_zero: bool = False,
    ):
        self.benchmarks = list(benchmarks)
        self.constant_as_zero = constant_as_zero
        self.n_resamples = n_resamples
        self.confidence = confidence
        self.seed = seed

    def _mask(self, b: Benchmark, *score_sets: Sequence[np.ndarray | None]) -> np.ndarray:
        mask = np.ones(b.truths[0].size, dtype=bool)
        for arr in b.truths:
            mask &= np.isfinite(arr)
        for scores in score_sets:
            for arr in scores:
                if arr is not None:
                    mask &= np.isfinite(arr)
        return mask

    def _benchmark_samples(
        self, i: int, b: Benchmark, scores, mask: np.ndarray, point: bool = False
    ) -> np.ndarray | None:
        """Resampled mean ρ over the benchmark's applicable tasks (``point``: one row, no resampling);
        None when none applies."""
        used = [(x, t) for x, t in zip(scores, b.truths) if x is not None]
        n = int(mask.sum())
        if not used:
            return None
        if n < 4:
            return np.full(1 if point else self.n_resamples, np.nan)
        if point:
            idx = np.arange(n)[None, :]
        else:
            idx = np.random.default_rng([self.seed, i]).integers(0, n, size=(self.n_resamples, n))
        per = [self._rhos(x[mask][idx], t[mask][idx]) for x, t in used]
        return np.mean(per, axis=0)

    def _rhos(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        rho = rowwise_spearman(x, t)
        if self.constant_as_zero:
            rho[np.ptp(x, axis=1) == 0] = 0.0
        return rho

    def samples(
        self,
        scores: Mapping[str, Sequence[np.ndarray | None]],
        masks: Mapping[str, np.ndarray] | None = None,
        point: bool = False,
    ) -> np.ndarray:
        """Resampled headlines of one proxy: ``scores[benchmark]`` = one oriented array per task
        (None: not applicable there); ``point``: the headline on the masked architectures."""
        parts = []
        for i, b in enumerate(self.benchmarks):
            s = scores[b.name]
            mask = masks[b.name] if masks is not None else self._mask(b, s)
            got = self._benchmark_samples(i, b, s, mask, point)
            if got is not None:
                parts.append(got)
        if not parts:
            return np.full(1 if point else self.n_resamples, np.nan)
        return np.mean(parts, axis=0)

    def interval(self, scores: Mapping[str, Sequence[np.ndarray | None]]) -> tuple[float, float] | None:
        """Percentile interval of the proxy's headline; None without resamples or finite values."""
        if self.n_resamples <= 0:
            return None
        d = self.samples(scores)
        d = d[np.isfinite(d)]
        if not d.size:
            return None
        alpha = 1 - self.confidence
        lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2])
        return float(lo), float(hi)

    def test(
        self, a: Mapping[str, Sequence[np.ndarray | None]], b: Mapping[str, Sequence[np.ndarray | None]]
    ) -> PairedTest:
        """Paired bootstrap of the headline difference a − b: per benchmark the architectures where
        both proxies and every target are finite, tasks where both apply."""
        masks = {}
        a2, b2 = {}, {}
        for bench in self.benchmarks:
            both = [x is not None and y is not None for x, y in zip(a[bench.name], b[bench.name])]
            a2[bench.name] = [x if k else None for x, k in zip(a[bench.name], both)]
            b2[bench.name] = [y if k else None for y, k in zip(b[bench.name], both)]
            masks[bench.name] = self._mask(bench, a2[bench.name], b2[bench.name])
        n = int(sum(m.sum() for m in masks.values()))
        nan = float("nan")
        d = self.samples(a2, masks) - self.samples(b2, masks)
        ci, p_boot = difference_interval(d, self.confidence)
        diff = float(self.samples(a2, masks, point=True)[0] - self.samples(b2, masks, point=True)[0])
        return PairedTest(
            n, nan, nan, nan, diff, ci, p_boot, nan, nan, nan, nan, self.confidence, self.n_resamples
        )
