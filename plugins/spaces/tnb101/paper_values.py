"""Published TransNAS-Bench-101 numbers the reproductions compare against: one place, typed, transcribed.

Copied from ``shared/spec/eproxy-dps.md`` Table 4 (TransNAS-Bench-101 micro, ρ / top-10 % per
task; all 4,096 archs, one batch of CIFAR-10 images as every task's input). Columns are our
task names: class_scene = Cls. Scene, class_object = Cls. Obj, room_layout = Room Layout,
jigsaw, segmentsemantic = Seg, normal = Normal, autoencoder = AE.
"""

from __future__ import annotations

from nas_harness.api.suites import PaperTable

EPROXY = (
    "Li et al., Extensible and Efficient Proxy for Neural Architecture Search (paper 002; spec eproxy-dps.md)"
)

TASK_COLUMNS = (
    "class_scene",
    "class_object",
    "room_layout",
    "jigsaw",
    "segmentsemantic",
    "normal",
    "autoencoder",
)

# per row: (ρ, top-10 %) for each task in TASK_COLUMNS' order
_T4 = {
    "Synflow": (
        (0.46, 0.16),
        (0.50, 0.16),
        (0.45, 0.28),
        (0.49, 0.19),
        (0.32, 0.03),
        (0.52, 0.19),
        (0.52, 0.34),
    ),
    "NASWOT": (
        (0.57, 0.21),
        (0.53, 0.21),
        (0.30, 0.02),
        (0.41, 0.11),
        (0.52, 0.30),
        (0.59, 0.30),
        (-0.02, 0.02),
    ),
    "ZenNAS": (
        (0.57, 0.48),
        (0.34, 0.32),
        (0.24, 0.27),
        (0.35, 0.35),
        (0.37, 0.32),
        (0.56, 0.47),
        (0.15, 0.23),
    ),
    "ZiCo": (
        (0.30, 0.31),
        (0.03, 0.16),
        (0.04, 0.23),
        (0.15, 0.26),
        (0.07, 0.16),
        (0.29, 0.27),
        (0.19, 0.09),
    ),
    "Eproxy": (
        (0.15, 0.14),
        (0.45, 0.34),
        (0.06, 0.08),
        (0.17, 0.33),
        (0.36, 0.46),
        (0.25, 0.38),
        (0.61, 0.80),
    ),
    "Eproxy+DPS": (
        (0.70, 0.30),
        (0.56, 0.44),
        (0.56, 0.13),
        (0.64, 0.45),
        (0.81, 0.53),
        (0.81, 0.63),
        (0.80, 0.74),
    ),
    "ES (~660 GPU h/task)": (
        (0.73, 0.25),
        (0.01, 0.07),
        (0.15, 0.07),
        (0.74, 0.21),
        (0.39, 0.07),
        (0.65, 0.27),
        (0.35, 0.11),
    ),
}

EPROXY_T4 = PaperTable(
    key="eproxy-t4-tnb101-micro",
    paper=EPROXY,
    table="Table 4",
    title="Spearman ρ per task on TransNAS-Bench-101 micro (CIFAR-10 images as input)",
    metric="spearman",
    columns=TASK_COLUMNS,
    rows={row: tuple(rho for rho, _ in cells) for row, cells in _T4.items()},
    notes=("the paper's Avg. column is left out (ours is per task)",),
)

EPROXY_T4_TOP10 = PaperTable(
    key="eproxy-t4-tnb101-micro-top10",
    paper=EPROXY,
    table="Table 4 (top-10 %)",
    title="Top-10 % retrieve rate per task on TransNAS-Bench-101 micro",
    metric="top-10 % retrieval",
    columns=TASK_COLUMNS,
    rows={row: tuple(top for _, top in cells) for row, cells in _T4.items()},
)

TABLES: dict[str, PaperTable] = {t.key: t for t in (EPROXY_T4, EPROXY_T4_TOP10)}
