"""Published NAS-Bench-MR numbers the reproductions compare against: one place, typed, transcribed.

Copied from ``shared/spec/eproxy-dps.md`` Table 5 (ρ / top-10 % per task, one batch of CIFAR-10
images as every task's input). Columns are our task names: cls-50-1000 = Cls-A, cls-50-100 =
Cls-B, cls-10-1000 = Cls-C, cls-10c = Cls-10c, seg, seg-4x, 3ddet_moderate = 3dDet, video,
video-p.
"""

from __future__ import annotations

from nas_harness.api.suites import PaperTable

EPROXY = (
    "Li et al., Extensible and Efficient Proxy for Neural Architecture Search (paper 002; spec eproxy-dps.md)"
)

TASK_COLUMNS = (
    "cls-50-1000",
    "cls-50-100",
    "cls-10-1000",
    "cls-10c",
    "seg",
    "seg-4x",
    "3ddet_moderate",
    "video",
    "video-p",
)

# per row: (ρ, top-10 %) for each task in TASK_COLUMNS' order
_T5 = {
    "Synflow": (
        (0.25, 0.11), (0.05, 0.14), (0.37, 0.20), (0.21, 0.15), (0.43, 0.17),
        (0.22, 0.09), (0.22, 0.08), (0.45, 0.18), (0.52, 0.17),
    ),
    "NASWOT": (
        (0.37, 0.18), (-0.20, 0.04), (-0.15, 0.02), (-0.39, 0.00), (0.50, 0.10),
        (0.38, 0.08), (0.48, 0.10), (-0.36, 0.01), (-0.36, 0.00),
    ),
    "ZenNAS": (
        (0.41, 0.04), (0.50, 0.00), (0.30, 0.01), (0.25, 0.00), (0.49, 0.06),
        (0.22, 0.02), (0.26, 0.10), (0.41, 0.00), (0.39, 0.00),
    ),
    "ZiCo": (
        (0.40, 0.04), (0.52, 0.00), (0.31, 0.01), (0.27, 0.00), (0.48, 0.05),
        (0.21, 0.01), (0.25, 0.09), (0.42, 0.00), (0.40, 0.00),
    ),
    "Eproxy": (
        (0.52, 0.18), (0.06, 0.10), (0.02, 0.10), (0.29, 0.15), (0.38, 0.17),
        (0.31, 0.13), (0.34, 0.23), (0.31, 0.11), (0.23, 0.11),
    ),
    "Eproxy+DPS": (
        (0.57, 0.16), (0.53, 0.35), (0.30, 0.18), (0.48, 0.32), (0.60, 0.24),
        (0.51, 0.13), (0.39, 0.29), (0.65, 0.33), (0.59, 0.27),
    ),
    "Cls-C full training": (
        (0.29, 0.24), (0.51, 0.26), (1.0, 1.0), (0.53, 0.34), (0.21, 0.16),
        (0.35, 0.26), (0.17, 0.14), (0.35, 0.22), (0.37, 0.25),
    ),
}  # fmt: skip

EPROXY_T5 = PaperTable(
    key="eproxy-t5-nbmr",
    paper=EPROXY,
    table="Table 5",
    title="Spearman ρ per task on NAS-Bench-MR (CIFAR-10 images as input)",
    metric="spearman",
    columns=TASK_COLUMNS,
    rows={row: tuple(rho for rho, _ in cells) for row, cells in _T5.items()},
    notes=("the paper's Avg. column is left out (ours is per task); N ≈ 2,500 (the whole benchmark)",),
)

EPROXY_T5_TOP10 = PaperTable(
    key="eproxy-t5-nbmr-top10",
    paper=EPROXY,
    table="Table 5 (top-10 %)",
    title="Top-10 % retrieve rate per task on NAS-Bench-MR",
    metric="top-10 % retrieval",
    columns=TASK_COLUMNS,
    rows={row: tuple(top for _, top in cells) for row, cells in _T5.items()},
)

TABLES: dict[str, PaperTable] = {t.key: t for t in (EPROXY_T5, EPROXY_T5_TOP10)}
