"""Rank correlations with bootstrap confidence intervals (scipy does the work)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class RankCorrelation:
    """Signed Spearman ρ and Kendall τ-b over the pairs where both values are finite."""

    n: int
    n_dropped: int
    spearman: float
    kendall: float
    spearman_ci: Interval | None
    kendall_ci: Interval | None


def finite_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    return float(stats.spearmanr(x, y).statistic)


def _kendall(x: np.ndarray, y: np.ndarray) -> float:
    return float(stats.kendalltau(x, y, variant="b").statistic)


def rank_correlation(
    scores: np.ndarray,
    truth: np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> RankCorrelation:
    """Spearman and Kendall τ-b of ``scores`` against ``truth``, NaN/inf pairs omitted.

    Confidence intervals are percentile bootstraps over architectures (paired resampling),
    the same resamples for both statistics; ``n_resamples=0`` skips them.
    """
    x, y = finite_pairs(scores, truth)
    dropped = int(np.asarray(scores).size - x.size)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return RankCorrelation(int(x.size), dropped, float("nan"), float("nan"), None, None)
    rho, tau = _spearman(x, y), _kendall(x, y)
    rho_ci = tau_ci = None
    if n_resamples > 0:
        rho_ci, tau_ci = _bootstrap(x, y, n_resamples, confidence, seed)
    return RankCorrelation(int(x.size), dropped, rho, tau, rho_ci, tau_ci)


def _bootstrap(
    x: np.ndarray, y: np.ndarray, n_resamples: int, confidence: float, seed: int
) -> tuple[Interval, Interval]:
    def both(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
        return _spearman(a, b), _kendall(a, b)

    res = stats.bootstrap(
        (x, y),
        both,
        paired=True,
        vectorized=False,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    low, high = res.confidence_interval
    return Interval(float(low[0]), float(high[0])), Interval(float(low[1]), float(high[1]))


# --------------------------------------------------------------------------- paired comparison


@dataclass(frozen=True)
class PairedTest:
    """Is proxy A's Spearman ρ with the target different from proxy B's, on the same archs?

    ``rho_a``/``rho_b`` are Spearman ρ of each proxy with the target and ``rho_ab`` the one
    between the two proxies, over the ``n`` architectures where all three are finite.
    ``diff = rho_a - rho_b``. The paired bootstrap resamples architectures (the same
    resample for both proxies) and gives a percentile interval of ``diff`` and a two-sided
    p-value; Williams' t and Steiger's Z test H0: ρ_a = ρ_b for two correlations that share
    the target, from (rho_a, rho_b, rho_ab, n). Both were derived for Pearson correlations
    of normal variables; applied to Spearman ρ they are the usual approximation, while the
    bootstrap needs no such assumption and decides ``significant``.
    """

    n: int
    rho_a: float
    rho_b: float
    rho_ab: float
    diff: float
    ci: Interval | None
    p_bootstrap: float | None
    williams_t: float
    williams_p: float
    steiger_z: float
    steiger_p: float
    confidence: float
    n_resamples: int

    @property
    def significant(self) -> bool:
        """The bootstrap interval of the difference excludes 0 (Williams' p when no bootstrap)."""
        if self.ci is not None:
            return self.ci.low > 0 or self.ci.high < 0
        return bool(np.isfinite(self.williams_p) and self.williams_p < 1 - self.confidence)


def williams_t(r12: float, r13: float, r23: float, n: int) -> tuple[float, float]:
    """Williams' t (Steiger 1980, eq. 7) for H0: ρ12 = ρ13, with variable 1 shared.

    t = (r12 − r13) √[(n−1)(1+r23) / (2 (n−1)/(n−3) |R| + r̄² (1−r23)³)], where |R| is the
    determinant of the 3×3 correlation matrix and r̄ = (r12 + r13)/2; df = n − 3. Returns
    (t, two-sided p).
    """
    if n <= 3:
        return float("nan"), float("nan")
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    rbar = (r12 + r13) / 2
    denom = 2 * (n - 1) / (n - 3) * det + rbar**2 * (1 - r23) ** 3
    if denom <= 0:
        return float("nan"), float("nan")
    t = (r12 - r13) * np.sqrt((n - 1) * (1 + r23) / denom)
    return float(t), float(2 * stats.t.sf(abs(t), n - 3))


def steiger_z(r12: float, r13: float, r23: float, n: int) -> tuple[float, float]:
    """Steiger's Z (1980, eq. 14; pooled r̄ in the covariance) for H0: ρ12 = ρ13.

    Z = (z12 − z13) √(n−3) / √(2 − 2c), z = atanh(r), c = ψ / (1 − r̄²)² with
    ψ = r23 (1 − 2r̄²) − ½ r̄² (1 − 2r̄² − r23²). Returns (Z, two-sided p).
    """
    if n <= 3 or max(abs(r12), abs(r13)) >= 1:
        return float("nan"), float("nan")
    rbar = (r12 + r13) / 2
    psi = r23 * (1 - 2 * rbar**2) - 0.5 * rbar**2 * (1 - 2 * rbar**2 - r23**2)
    c = psi / (1 - rbar**2) ** 2
    if 2 - 2 * c <= 0:
        return float("nan"), float("nan")
    z = (np.arctanh(r12) - np.arctanh(r13)) * np.sqrt(n - 3) / np.sqrt(2 - 2 * c)
    return float(z), float(2 * stats.norm.sf(abs(z)))


def rowwise_spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman ρ of each row of x with the same row of y (average ranks for ties)."""
    rx = stats.rankdata(x, axis=1)
    ry = stats.rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    num = (rx * ry).sum(axis=1)
    den = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def difference_interval(d: np.ndarray, confidence: float) -> tuple[Interval | None, float | None]:
    """Percentile CI of bootstrap differences and the two-sided bootstrap p-value of "no
    difference" (share of resamples on the far side of 0, with the +1 correction)."""
    d = d[np.isfinite(d)]
    if not d.size:
        return None, None
    alpha = 1 - confidence
    lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2])
    below, above = int((d <= 0).sum()), int((d >= 0).sum())
    return Interval(float(lo), float(hi)), float(min(1.0, 2 * (min(below, above) + 1) / (d.size + 1)))


class PairedBootstrap:
    """Paired bootstrap of Spearman ρ with one target, shared by many pairwise comparisons.

    A resample is drawn over the architectures of a comparison's mask (those where both
    proxies and the target are finite) from ``seed``, so every proxy compared on the same
    mask sees the same resamples and its resampled ρ are computed once and reused.
    """

    def __init__(
        self,
        truth: np.ndarray,
        *,
        n_resamples: int = 1000,
        confidence: float = 0.95,
        seed: int = 0,
        block: int = 100,
    ):
        self.truth = np.asarray(truth, dtype=float)
        self.n_resamples = n_resamples
        self.confidence = confidence
        self.seed = seed
        self.block = block
        self._cache: dict[tuple[str, bytes], np.ndarray] = {}

    def _samples(self, name: str, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        key = (name, np.packbits(mask).tobytes())
        if key not in self._cache:
            x, t = values[mask], self.truth[mask]
            rng = np.random.default_rng(self.seed)
            out = []
            for start in range(0, self.n_resamples, self.block):
                idx = rng.integers(0, x.size, size=(min(self.block, self.n_resamples - start), x.size))
                out.append(rowwise_spearman(x[idx], t[idx]))
            self._cache[key] = np.concatenate(out) if out else np.empty(0)
        return self._cache[key]

    def test(self, name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> PairedTest:
        a, b, t = np.asarray(a, dtype=float), np.asarray(b, dtype=float), self.truth
        mask = np.isfinite(a) & np.isfinite(b) & np.isfinite(t)
        n = int(mask.sum())
        nan = float("nan")
        if n < 4 or min(np.ptp(a[mask]), np.ptp(b[mask]), np.ptp(t[mask])) == 0:
            return PairedTest(n, nan, nan, nan, nan, None, None, nan, nan, nan, nan, self.confidence, 0)
        rho_a = float(stats.spearmanr(a[mask], t[mask]).statistic)
        rho_b = float(stats.spearmanr(b[mask], t[mask]).statistic)
        rho_ab = float(stats.spearmanr(a[mask], b[mask]).statistic)
        wt, wp = williams_t(rho_a, rho_b, rho_ab, n)
        sz, sp = steiger_z(rho_a, rho_b, rho_ab, n)
        ci = p_boot = None
        if self.n_resamples > 0:
            d = self._samples(name_a, a, mask) - self._samples(name_b, b, mask)
            ci, p_boot = difference_interval(d, self.confidence)
        return PairedTest(
            n,
            rho_a,
            rho_b,
            rho_ab,
            rho_a - rho_b,
            ci,
            p_boot,
            wt,
            wp,
            sz,
            sp,
            self.confidence,
            self.n_resamples,
        )


class PairedMeanBootstrap:
    """Paired bootstrap of the *mean* Spearman ρ over several targets measured on the same
    architectures (a suite's datasets): one resample of architectures serves every target, so
    the difference of two proxies' mean ρ keeps the dependence between datasets.

    The comparison's architectures are those where both proxies and every target are finite
    (per dataset), and the resamples are drawn exactly as ``PairedBootstrap`` draws them, so with
    one target the two agree to the last digit.
    """

    def __init__(
        self,
        truths: Sequence[np.ndarray],
        *,
        n_resamples: int = 1000,
        confidence: float = 0.95,
        seed: int = 0,
        block: int = 100,
    ):
        self.truths = [np.asarray(t, dtype=float) for t in truths]
        self.n_resamples = n_resamples
        self.confidence = confidence
        self.seed = seed
        self.block = block

    def _samples(self, values: Sequence[np.ndarray], mask: np.ndarray) -> np.ndarray:
        xs = [np.asarray(v, dtype=float)[mask] for v in values]
        ts = [t[mask] for t in self.truths]
        rng = np.random.default_rng(self.seed)
        out = []
        for start in range(0, self.n_resamples, self.block):
            idx = rng.integers(
                0, int(mask.sum()), size=(min(self.block, self.n_resamples - start), int(mask.sum()))
            )
            out.append(np.mean([rowwise_spearman(x[idx], t[idx]) for x, t in zip(xs, ts)], axis=0))
        return np.concatenate(out) if out else np.empty(0)

    def test(self, a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> PairedTest:
        """``a`` and ``b``: one oriented score array per target, in the order of ``truths``."""
        a = [np.asarray(x, dtype=float) for x in a]
        b = [np.asarray(x, dtype=float) for x in b]
        if len(a) != len(self.truths) or len(b) != len(self.truths):
            raise ValueError("one score array per target")
        mask = np.ones(self.truths[0].size, dtype=bool)
        for arr in (*a, *b, *self.truths):
            mask &= np.isfinite(arr)
        n = int(mask.sum())
        nan = float("nan")
        degenerate = any(np.ptp(arr[mask]) == 0 for arr in (*a, *b, *self.truths)) if n else True
        if n < 4 or degenerate:
            return PairedTest(n, nan, nan, nan, nan, None, None, nan, nan, nan, nan, self.confidence, 0)

        def mean_rho(xs, ys) -> float:
            return float(np.mean([stats.spearmanr(x[mask], y[mask]).statistic for x, y in zip(xs, ys)]))

        rho_a, rho_b, rho_ab = mean_rho(a, self.truths), mean_rho(b, self.truths), mean_rho(a, b)
        ci = p_boot = None
        if self.n_resamples > 0:
            d = self._samples(a, mask) - self._samples(b, mask)
            ci, p_boot = difference_interval(d, self.confidence)
        return PairedTest(
            n,
            rho_a,
            rho_b,
            rho_ab,
            rho_a - rho_b,
            ci,
            p_boot,
            nan,
            nan,
            nan,
            nan,
            self.confidence,
            self.n_resamples,
        )


def paired_spearman_test(
    a: np.ndarray,
    b: np.ndarray,
    truth: np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedTest:
    """Paired comparison of two proxies' Spearman ρ with the same target (see ``PairedTest``).

    Scores must be oriented (larger = better). Architectures where ``a``, ``b`` or ``truth`` is
    not finite are left out; resamples whose ρ is undefined (a constant resample) are dropped.
    The two-sided bootstrap p-value is 2·min(#Δ* ≤ 0, #Δ* ≥ 0) + 1 over (B + 1), capped at 1.
    """
    boot = PairedBootstrap(truth, n_resamples=n_resamples, confidence=confidence, seed=seed)
    return boot.test("a", a, "b", b)


def population_std(values) -> float:
    """Standard deviation with ddof = 0 (WRCor's "std." over datasets, batch sizes, inits)."""
    arr = np.asarray(values, dtype=float)
    return float(np.std(arr)) if arr.size else float("nan")
