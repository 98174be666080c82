"""Rows that bound a leaderboard from above: the noise ceiling and training-based references.

* **Noise ceiling.** Ground truth is itself noisy: two training runs of one architecture
  (seeds) reach different accuracies. Spearman ρ between the accuracies of seed i and seed j
  over the evaluated architectures says how well *any* score can rank them like one training
  run does (NB201 200-epoch: ≈ 0.98). Each pair of seeds uses the architectures that have
  both; the ceiling is the mean over pairs. The run's target is usually the *mean* over
  seeds, which is less noisy than one seed, so this ceiling is conservative.
* **References.** A ground-truth source used as if it were a proxy, e.g. the 12-epoch
  validation accuracy of NATS-Bench (``nats_bench`` with ``hp: '12'``, ``split: valid``) —
  WRCor's "ValAcc" row, a training-based proxy. It is summarized like a proxy (ρ, τ, top-k,
  argmax) but marked as a reference and never ranked among proxies.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy import stats

from nas_harness.leaderboard.schema import CeilingRecord, SeedPair

from ..api import OracleInfo
from ..engine import ScoreTable
from ..store import ScoreRecord


def noise_ceiling(
    seed_values: np.ndarray, info: OracleInfo, oracle: str, *, min_n: int = 3
) -> CeilingRecord | None:
    """Seed-to-seed rank correlation from an (n_seeds × n) array; None with fewer than 2 seeds."""
    values = np.atleast_2d(np.asarray(seed_values, dtype=float))
    pairs = []
    for i, j in combinations(range(values.shape[0]), 2):
        x, y = values[i], values[j]
        keep = np.isfinite(x) & np.isfinite(y)
        n = int(keep.sum())
        if n < min_n or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:
            continue
        rho = float(stats.spearmanr(x[keep], y[keep]).statistic)
        tau = float(stats.kendalltau(x[keep], y[keep]).statistic)
        pairs.append(SeedPair(i=i, j=j, n=n, spearman=rho, kendall=tau))
    if not pairs:
        return None
    return CeilingRecord(
        oracle=oracle,
        target=f"{info.dataset}/{info.split}"
        + (f"@{info.epochs}ep" if info.epochs is not None else "")
        + "(one seed)",
        n_seeds=int(values.shape[0]),
        pairs=pairs,
        spearman_mean=float(np.mean([p.spearman for p in pairs])),
        kendall_mean=float(np.mean([p.kendall for p in pairs])),
        note="Spearman ρ between the accuracies of two training seeds over the evaluated archs "
        "(each pair on the archs that have both), mean over pairs",
    )


def reference_table(name: str, archs: list[str], values: np.ndarray) -> ScoreTable:
    """A score table made of ground-truth values (NaN: the source has no value)."""
    records = [
        ScoreRecord(a, float(v), "ok", None, None, None)
        if np.isfinite(v)
        else ScoreRecord(a, None, "failed", "NoValue: the source has no value for this arch", None, None)
        for a, v in zip(archs, np.asarray(values, dtype=float))
    ]
    return ScoreTable(name, list(archs), records, computed=0)
