"""FT-ScoreNet's ensemble of per-space scorers (paper 003 eqs. 4-5; spec §2.5).

f(x) = Σ_i w_i · S((s_i(x) − μ_i) / σ_i), S the logistic sigmoid, μ_i and σ_i the mean and
std of scorer i over architectures of the space it was trained on, w_i ∈ (0, 1) found by
differential evolution maximising the mean Spearman ρ over the spaces' labelled sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ensemble:
    mu: tuple[float, ...]
    sigma: tuple[float, ...]
    weights: tuple[float, ...]

    def combine(self, member_scores: np.ndarray) -> np.ndarray:
        """(members,) or (members × archs) raw scores → ensemble score(s)."""
        s = np.asarray(member_scores, dtype=float)
        mu = np.asarray(self.mu).reshape(-1, *([1] * (s.ndim - 1)))
        sigma = np.asarray(self.sigma).reshape(mu.shape)
        w = np.asarray(self.weights).reshape(mu.shape)
        return (w / (1.0 + np.exp(-(s - mu) / sigma))).sum(axis=0)


def member_stats(own_scores: Sequence[np.ndarray]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """μ_i, σ_i of scorer i over its own space's architectures (σ floored to stay finite)."""
    mu = tuple(float(np.mean(s)) for s in own_scores)
    sigma = tuple(max(float(np.std(s)), 1e-12) for s in own_scores)
    return mu, sigma


def fit_weights(
    scores: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    mu: Sequence[float],
    sigma: Sequence[float],
    seed: int = 0,
    maxiter: int = 100,
) -> tuple[tuple[float, ...], float]:
    """Weights in (0, 1) maximising the mean Spearman over the labelled sets, and that mean.

    ``scores[j]`` is (members × archs of set j), ``targets[j]`` the set's targets.
    """
    from scipy.optimize import differential_evolution
    from scipy.stats import spearmanr

    m = len(mu)
    for j, (s, y) in enumerate(zip(scores, targets)):
        if np.shape(s) != (m, len(y)):
            raise ValueError(f"labelled set {j}: scores shaped {np.shape(s)}, expected ({m}, {len(y)})")

    def mean_rho(w: np.ndarray) -> float:
        ens = Ensemble(tuple(mu), tuple(sigma), tuple(w))
        rhos = [spearmanr(ens.combine(s), y)[0] for s, y in zip(scores, targets)]
        return float(np.mean(np.nan_to_num(rhos, nan=-1.0)))

    result = differential_evolution(
        lambda w: -mean_rho(w),
        bounds=[(1e-6, 1.0)] * m,
        seed=seed,
        maxiter=maxiter,
        polish=False,
        tol=1e-6,
    )
    return tuple(float(v) for v in result.x), -float(result.fun)
