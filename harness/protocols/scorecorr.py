"""P14: how alike are two proxies? Spearman ρ between score columns of one run.

Columns are oriented (larger = better) before they come here, so a positive ρ means two
proxies rank architectures the same way. Pairs are complete-case per pair (pandas'
``corr(method="spearman")``, which ranks with average ties), and the number of
architectures behind each entry is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from nas_harness.leaderboard.schema import ScoreCorrelationRecord


def score_correlations(columns: Mapping[str, np.ndarray], note: str = "") -> ScoreCorrelationRecord:
    frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()})
    frame = frame.replace([np.inf, -np.inf], np.nan)
    corr = frame.corr(method="spearman", min_periods=3)
    finite = frame.notna().astype(int)
    counts = finite.T @ finite
    names = list(frame.columns)
    matrix = [[None if pd.isna(corr.loc[a, b]) else float(corr.loc[a, b]) for b in names] for a in names]
    n = [[int(counts.loc[a, b]) for b in names] for a in names]
    return ScoreCorrelationRecord(names=names, matrix=matrix, n=n, note=note)
