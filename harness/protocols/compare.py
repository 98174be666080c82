"""Are two proxies' correlations with the target really different? Paired tests on one run.

Rows are compared in leaderboard order (by Spearman ρ, larger first): each row with the row
just above it and with the top row, on the architectures both scored, with the paired
bootstrap of the ρ difference (which decides ``significant``) and Williams' t / Steiger's Z
for dependent correlations that share the target (see ``nas_harness.stats``). No correction
for multiple comparisons is applied: a mark says "this pair", not "this family". The
leaderboard turns the records into row marks (``nas_harness.leaderboard.render.marks``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nas_harness.leaderboard.schema import CI, PairedComparisonRecord

from ..stats import PairedBootstrap, PairedMeanBootstrap, PairedTest


def _finite(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def comparison_record(a: str, b: str, relation: str, test: PairedTest) -> PairedComparisonRecord:
    return PairedComparisonRecord(
        a=a,
        b=b,
        relation=relation,
        n=test.n,
        diff=_finite(test.diff),
        ci=CI(low=test.ci.low, high=test.ci.high) if test.ci else None,
        p_bootstrap=test.p_bootstrap,
        williams_t=_finite(test.williams_t),
        williams_p=_finite(test.williams_p),
        steiger_z=_finite(test.steiger_z),
        steiger_p=_finite(test.steiger_p),
        significant=test.significant,
    )


def compare_in_order(
    order: Sequence[str],
    scores: Mapping[str, np.ndarray],
    truth: np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[PairedComparisonRecord]:
    """Each row of ``order`` (best first; oriented scores) against the row above and the top."""
    boot = PairedBootstrap(truth, n_resamples=n_resamples, confidence=confidence, seed=seed)
    out = []
    for i, name in enumerate(order[1:], start=1):
        above = order[i - 1]
        out.append(
            comparison_record(name, above, "above", boot.test(name, scores[name], above, scores[above]))
        )
        if i > 1:
            top = order[0]
            out.append(comparison_record(name, top, "top", boot.test(name, scores[name], top, scores[top])))
    return out


def compare_mean_in_order(
    order: Sequence[str],
    scores: Mapping[str, Sequence[np.ndarray]],
    truths: Sequence[np.ndarray],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[PairedComparisonRecord]:
    """``compare_in_order`` for the mean ρ over several targets on the same architectures (a
    suite's datasets): ``scores[name]`` holds one oriented array per target. Williams' t and
    Steiger's Z are for one target only and stay empty."""
    boot = PairedMeanBootstrap(truths, n_resamples=n_resamples, confidence=confidence, seed=seed)
    method = (
        "paired bootstrap of the difference of mean Spearman ρ over the datasets (architectures resampled)"
    )
    out = []
    for i, name in enumerate(order[1:], start=1):
        pairs = [(order[i - 1], "above")] + ([(order[0], "top")] if i > 1 else [])
        for other, relation in pairs:
            record = comparison_record(name, other, relation, boot.test(scores[name], scores[other]))
            out.append(record.model_copy(update={"method": method}))
    return out


def order_by_spearman(rhos: Mapping[str, float | None]) -> list[str]:
    """Names by signed ρ, larger first; undefined ρ last (the leaderboard's order)."""
    return sorted(rhos, key=lambda k: -rhos[k] if rhos[k] is not None else float("inf"))
