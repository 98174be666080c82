"""P3 top-k metrics and P4 argmax selection, as pure functions of (scores, truth).

Scores are oriented (larger = better) and truth is larger-is-better; NaN scores never make a
top-k set or win a selection. Ranks are 1 = best, with ties in the truth given the best
(minimum) rank they share, so "rank 1" means "no architecture is strictly better".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats


def top_count(n: int, fraction: float) -> int:
    """How many architectures make the top ``fraction`` of ``n`` (at least one)."""
    return max(1, int(math.ceil(n * fraction - 1e-9)))


def _top_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite values (ties broken by position, stable)."""
    finite = np.flatnonzero(np.isfinite(values))
    order = finite[np.argsort(-values[finite], kind="stable")]
    return order[:k]


def true_ranks(truth: np.ndarray) -> np.ndarray:
    """1 = best; tied accuracies share the best rank of their group ('min' method)."""
    return stats.rankdata(-truth, method="min").astype(int)


@dataclass(frozen=True)
class TopK:
    fraction: float
    k: int
    retrieval: float  # |top(proxy) ∩ top(GT)| / |top(GT)| — Eproxy's "top-10%"
    precision_at_k: float  # share of the proxy's top-k that are in the GT top-k
    spearman_in_top: float  # ρ restricted to the GT top-k% (zero-cost-nas style)
    kendall_in_top: float
    best_rank_in_top: int  # best true rank among the proxy's top-k (br@k)


def topk_metrics(scores: np.ndarray, truth: np.ndarray, fraction: float = 0.1) -> TopK:
    """Top-k metrics over the architectures with a finite target.

    With every score finite, retrieval and precision@k coincide (both sets have k members);
    they differ when failed scores shrink the proxy's top set.
    """
    scores = np.asarray(scores, float)
    truth = np.asarray(truth, float)
    keep = np.isfinite(truth)
    scores, truth = scores[keep], truth[keep]
    k = top_count(truth.size, fraction)
    gt_top = set(_top_indices(truth, k).tolist())
    proxy_top = _top_indices(scores, k)
    hits = len(gt_top.intersection(proxy_top.tolist()))
    ranks = true_ranks(truth)
    in_top = np.array(sorted(gt_top))
    sub_s, sub_t = scores[in_top], truth[in_top]
    ok = np.isfinite(sub_s)
    if ok.sum() >= 3 and np.ptp(sub_s[ok]) > 0 and np.ptp(sub_t[ok]) > 0:
        rho = float(stats.spearmanr(sub_s[ok], sub_t[ok]).statistic)
        tau = float(stats.kendalltau(sub_s[ok], sub_t[ok]).statistic)
    else:
        rho = tau = float("nan")
    return TopK(
        fraction=fraction,
        k=k,
        retrieval=hits / k,
        precision_at_k=hits / max(1, proxy_top.size),
        spearman_in_top=rho,
        kendall_in_top=tau,
        best_rank_in_top=int(ranks[proxy_top].min()) if proxy_top.size else -1,
    )


TiePolicy = Literal["first_index", "random", "report_set"]


@dataclass(frozen=True)
class Selection:
    """The proxy's pick (P4) and the architectures tied with it (P5)."""

    chosen: int  # position in the evaluated list
    chosen_truth: float
    chosen_rank: int  # among the evaluated architectures, 1 = best
    tied: tuple[int, ...]
    tied_truth_min: float
    tied_truth_mean: float
    tied_truth_max: float
    policy: str


def argmax_selection(
    scores: np.ndarray,
    truth: np.ndarray,
    policy: TiePolicy = "first_index",
    seed: int = 0,
    refine: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Selection:
    """Best architecture by proxy; ties resolved by ``policy`` and always reported.

    ``first_index`` picks the first tied architecture in the evaluated order (benchmark
    index order for ``first_n``/``all`` samples); ``random`` picks one with ``seed``;
    ``report_set`` picks the tied architecture with the *median* accuracy, so that a reported
    single number is not a lucky draw, and the set's min/mean/max say the rest.
    """
    scores = np.asarray(scores, float)
    truth = np.asarray(truth, float)
    if not np.isfinite(scores).any():
        raise ValueError("no finite score to select from")
    best = np.nanmax(np.where(np.isfinite(scores), scores, np.nan))
    tied = np.flatnonzero(scores == best)
    pool = tied
    if refine is not None and tied.size > 1:
        pool = _best_by_keys(tied, np.asarray(refine(tied), float))
    if policy == "first_index":
        chosen = int(pool[0])
    elif policy == "random":
        chosen = int(np.random.default_rng(seed).choice(pool))
    else:
        order = pool[np.argsort(truth[pool], kind="stable")]
        chosen = int(order[(order.size - 1) // 2])
    ranks = true_ranks(np.where(np.isfinite(truth), truth, -np.inf))
    tt = truth[tied]
    return Selection(
        chosen=chosen,
        chosen_truth=float(truth[chosen]),
        chosen_rank=int(ranks[chosen]),
        tied=tuple(int(i) for i in tied),
        tied_truth_min=float(np.nanmin(tt)),
        tied_truth_mean=float(np.nanmean(tt)),
        tied_truth_max=float(np.nanmax(tt)),
        policy=(policy if policy != "random" else f"random(s={seed})")
        + ("" if refine is None else f"+rank_keys({pool.size} of {tied.size})"),
    )


def _best_by_keys(tied: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The tied positions whose (oriented) key rows are lexicographically largest, in order."""
    if keys.ndim != 2 or len(keys) != len(tied) or not np.isfinite(keys).all():
        return tied
    order = np.lexsort(keys.T[::-1])  # last row of lexsort's input = primary key
    top = keys[order[-1]]
    best = np.all(keys == top, axis=1)
    return tied[best]
