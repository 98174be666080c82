"""Published NB201 numbers the reproductions compare against: one place, typed, transcribed.

Every value is copied from the specs in ``shared/spec`` (which transcribe the papers' tables);
``None`` is a cell the paper leaves empty ("-" or "X"). Row names are the papers' own; the
suites map them to plugin names. Nothing here is computed.
"""

from __future__ import annotations

from nas_harness.api.suites import PaperTable

WRCOR = "Jing et al., Zero-Shot NAS with Weighted Response Correlation (paper 001; spec wrcor.md)"
SED = "Wu et al., Zero-shot NAS via the Suppression of Local Entropy Decrease (paper 000; spec sed.md)"
RANKSA = "Rank-based training-free NAS with simulated annealing (paper 004; spec rank-sa.md)"
ZCNAS = "Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS (ICLR 2021), NB201 Table 1"

# WRCor rows in the papers' order; the same rows appear in Tables 2 and 4-6.
_WRCOR_ROWS = (
    "PNorm",
    "PGNorm",
    "SNIP",
    "GraSP",
    "SynFlow",
    "Fisher",
    "JacCor",
    "EPE",
    "Phi",
    "Zen",
    "BT",
    "BndlEnt",
    "LyDynIso",
    "DynIso",
    "NetSens",
    "NASWOT",
    "ZiCo",
    "Params",
    "FLOPs",
    "ValAcc",
    "ACor",
    "RCor",
    "WRCor",
    "ZeroCost",
    "SPW",
    "SJW",
)


def _rows(
    values: list[tuple[float | None, ...]], names: tuple[str, ...] = _WRCOR_ROWS
) -> dict[str, tuple[float | None, ...]]:
    assert len(values) == len(names)
    return dict(zip(names, values))


WRCOR_T2 = PaperTable(
    key="wrcor-t2",
    paper=WRCOR,
    table="Table 2",
    title="Real (all 15,625) and estimated (1,000 random) |Spearman ρ| on NAS-Bench-201, CIFAR-10",
    metric="|spearman|",
    columns=("est", "real"),
    rows={
        "PNorm": (0.684, 0.684),
        "PGNorm": (0.591, 0.594),
        "SNIP": (0.593, 0.596),
        "GraSP": (0.543, 0.515),
        "SynFlow": (0.743, 0.739),
        "Fisher": (0.506, 0.503),
        "JacCor": (0.726, 0.726),
        "EPE": (0.693, 0.694),
        "Phi": (0.703, 0.723),
        "Zen": (0.257, 0.237),
        "BT": (0.510, 0.472),
        "BndlEnt": (0.199, 0.188),
        "LyDynIso": (0.633, 0.632),
        "DynIso": (0.662, 0.674),
        "NetSens": (0.686, 0.685),
        "NASWOT": (0.779, 0.780),
        "ZiCo": (None, 0.800),
        "Params": (None, 0.750),
        "FLOPs": (None, 0.730),
        "ValAcc": (0.842, 0.811),
        "ACor": (0.787, 0.789),
        "RCor": (0.803, 0.803),
        "WRCor": (0.811, 0.812),
        "ZeroCost": (0.775, 0.750),
        "SPW": (0.789, 0.780),
        "SJW": (0.851, 0.799),
    },
    notes=("ZiCo, Params and FLOPs appear to be literature values (no estimate; constant across sweeps)",),
)

# The same "est" column, for the suite that samples and scores as the WRCor code did.
WRCOR_T2_EST = PaperTable(
    key="wrcor-t2-est",
    paper=WRCOR,
    table="Table 2 (est column)",
    title="Estimated |Spearman ρ| (1,000 archs) on NAS-Bench-201, CIFAR-10",
    metric="|spearman|",
    columns=("est",),
    rows={row: values[:1] for row, values in WRCOR_T2.rows.items()},
    notes=WRCOR_T2.notes,
)

WRCOR_T4 = PaperTable(
    key="wrcor-t4",
    paper=WRCOR,
    table="Table 4",
    title="|Spearman ρ| across CIFAR-10, CIFAR-100, ImageNet16-120 on NAS-Bench-201 (1,000 archs)",
    metric="|spearman|",
    columns=("c10", "c100", "im120", "avg", "std"),
    rows=_rows(
        [
            (0.684, 0.712, 0.711, 0.702, 0.013),
            (0.591, 0.648, 0.588, 0.609, 0.028),
            (0.593, 0.648, 0.588, 0.610, 0.027),
            (0.543, 0.555, 0.551, 0.550, 0.005),
            (0.743, 0.771, 0.755, 0.756, 0.011),
            (0.506, 0.563, 0.501, 0.523, 0.028),
            (0.726, 0.721, 0.716, 0.721, 0.004),
            (0.693, 0.602, 0.566, 0.620, 0.053),
            (0.703, 0.730, 0.663, 0.699, 0.028),
            (0.257, 0.297, 0.293, 0.282, 0.018),
            (0.510, 0.449, 0.460, 0.473, 0.027),
            (0.199, 0.192, 0.130, 0.174, 0.031),
            (0.633, 0.682, 0.668, 0.661, 0.021),
            (0.662, 0.728, 0.674, 0.688, 0.029),
            (0.686, 0.706, 0.624, 0.672, 0.035),
            (0.779, 0.818, 0.791, 0.796, 0.016),
            (0.800, 0.810, 0.790, 0.800, 0.008),
            (0.750, 0.730, 0.690, 0.723, 0.025),
            (0.730, 0.710, 0.670, 0.703, 0.025),
            (0.842, 0.845, 0.833, 0.840, 0.005),
            (0.787, 0.823, 0.790, 0.800, 0.016),
            (0.803, 0.839, 0.817, 0.820, 0.015),
            (0.811, 0.846, 0.822, 0.826, 0.015),
            (0.775, 0.802, 0.775, 0.784, 0.013),
            (0.789, 0.823, 0.808, 0.807, 0.014),
            (0.851, 0.846, 0.847, 0.848, 0.002),
        ]
    ),
    notes=("std is the population std (ddof = 0) over the three datasets",),
)

WRCOR_T5 = PaperTable(
    key="wrcor-t5",
    paper=WRCOR,
    table="Table 5",
    title="|Spearman ρ| for batch sizes 32, 64, 128 on CIFAR-10 / NAS-Bench-201 (1,000 archs)",
    metric="|spearman|",
    columns=("32", "64", "128", "avg", "std"),
    rows=_rows(
        [
            (0.684, 0.684, 0.684, 0.684, 0.000),
            (0.597, 0.591, 0.586, 0.591, 0.004),
            (0.599, 0.593, 0.589, 0.594, 0.004),
            (0.522, 0.543, 0.519, 0.528, 0.011),
            (0.743, 0.743, 0.743, 0.743, 0.000),
            (0.510, 0.506, 0.507, 0.508, 0.002),
            (0.730, 0.726, 0.735, 0.730, 0.004),
            (0.661, 0.693, 0.703, 0.686, 0.018),
            (0.701, 0.703, 0.704, 0.703, 0.001),
            (0.258, 0.257, 0.256, 0.257, 0.001),
            (0.466, 0.510, 0.541, 0.506, 0.031),
            (0.185, 0.199, 0.228, 0.204, 0.018),
            (0.633, 0.633, 0.633, 0.633, 0.000),
            (0.654, 0.662, 0.667, 0.661, 0.005),
            (0.686, 0.686, 0.686, 0.686, 0.000),
            (0.775, 0.779, 0.782, 0.779, 0.003),
            (None, None, None, None, None),
            (0.750, 0.750, 0.750, 0.750, 0.000),
            (0.730, 0.730, 0.730, 0.730, 0.000),
            (0.842, 0.842, 0.842, 0.842, 0.000),
            (0.781, 0.787, 0.780, 0.783, 0.003),
            (0.791, 0.803, 0.812, 0.802, 0.009),
            (0.797, 0.811, 0.818, 0.809, 0.009),
            (0.783, 0.775, 0.768, 0.775, 0.006),
            (0.786, 0.789, 0.791, 0.789, 0.002),
            (0.829, 0.851, 0.814, 0.831, 0.015),
        ]
    ),
)

WRCOR_T6 = PaperTable(
    key="wrcor-t6",
    paper=WRCOR,
    table="Table 6",
    title="|Spearman ρ| for inits Kaiming uniform, Kaiming normal, N(0,1) on CIFAR-10 / NAS-Bench-201 (1,000 archs)",
    metric="|spearman|",
    columns=("uniform", "normal", "n01", "avg", "std"),
    rows=_rows(
        [
            (0.684, 0.692, 0.725, 0.700, 0.018),
            (0.591, 0.559, 0.369, 0.506, 0.098),
            (0.593, 0.570, 0.518, 0.560, 0.031),
            (0.543, 0.451, 0.106, 0.367, 0.188),
            (0.743, 0.738, 0.743, 0.741, 0.002),
            (0.506, 0.480, 0.453, 0.480, 0.022),
            (0.726, 0.739, 0.733, 0.733, 0.005),
            (0.693, 0.698, 0.719, 0.703, 0.011),
            (0.703, 0.670, 0.657, 0.677, 0.019),
            (0.257, 0.036, 0.352, 0.215, 0.132),
            (0.510, 0.558, 0.568, 0.545, 0.025),
            (0.199, 0.028, 0.040, 0.089, 0.078),
            (0.633, 0.612, 0.717, 0.654, 0.045),
            (0.662, 0.587, 0.358, 0.536, 0.129),
            (0.686, 0.641, 0.625, 0.651, 0.026),
            (0.779, 0.777, 0.777, 0.778, 0.001),
            (None, 0.800, None, None, None),
            (0.750, 0.750, 0.750, 0.750, 0.000),
            (0.730, 0.730, 0.730, 0.730, 0.000),
            (0.842, 0.842, 0.842, 0.842, 0.000),
            (0.787, 0.775, 0.766, 0.776, 0.009),
            (0.803, 0.798, 0.794, 0.798, 0.004),
            (0.811, 0.805, 0.796, 0.804, 0.006),
            (0.775, 0.791, 0.700, 0.755, 0.040),
            (0.789, 0.780, 0.804, 0.791, 0.010),
            (0.851, 0.829, 0.839, 0.840, 0.009),
        ]
    ),
    notes=("initializers touch Conv2d/Linear weights only; 'uniform' is PyTorch's default",),
)

SED_T2_TSS = PaperTable(
    key="sed-t2-tss",
    paper=SED,
    table="Table 2 (TSS columns)",
    title="Test accuracy (%) and rank of the architecture with the greatest proxy value over all of NATS-Bench-TSS",
    metric="argmax",
    columns=("c10 test", "c10 rank", "c100 test", "c100 rank", "in16 test", "in16 rank"),
    rows={
        "grasp": (82.04, 13659, 60.01, 11554, 35.29, 8510),
        "meco": (93.76, 166, 71.11, 173, 41.44, 2795),
        "zico": (93.76, 166, 71.11, 173, 41.44, 2795),
        "synflow": (93.76, 166, 71.11, 173, 41.44, 2795),
        "zen": (90.7, 7816, 68.25, 3290, 40.60, 3511),
        "grad norm": (89.27, 9691, 47.61, 14072, 35.82, 8208),
        "#Param": (93.76, 166, 71.11, 173, 41.44, 2795),
        "SED": (94.36, 3, 73.51, 1, 46.34, 24),
    },
    notes=(
        "which NB201 accuracy is 'test' is not stated; 94.36 at rank 3 fits the cifar10 test split (max 94.37)",
    ),
)

SED_GROUPS = PaperTable(
    key="sed-groups-tss",
    paper=SED,
    table="text (E3)",
    title="Spearman ρ between each SED value and the minimum test accuracy of the NATS-TSS archs sharing it",
    metric="groups",
    columns=("c10", "c100", "in16"),
    rows={"SED": (0.89, 0.85, 0.88)},
    notes=("the text misprints ImageNet16-120 as ImageNet16-160",),
)

RANKSA_T1 = PaperTable(
    key="ranksa-t1",
    paper=RANKSA,
    table="Table 1",
    title="Kendall τ with test accuracy on NATS-Bench (TSS presumed), mean over 3 initializations",
    metric="kendall",
    columns=("c10", "c100", "in16"),
    rows={
        "NTK": (-0.33, -0.30, -0.39),
        "Snip": (0.45, 0.47, 0.41),
        "Fisher": (0.39, 0.40, 0.36),
        "Grasp": (0.28, 0.35, 0.35),
        "NASWOT": (0.61, 0.62, 0.60),
        "SynFlow": (0.57, 0.56, 0.56),
        "LogSynFlow": (0.61, 0.60, 0.59),
        "Rank (ours)": (None, None, None),
    },
    notes=(
        "number of architectures not stated (Fig. 3 uses 1,000 random); initialization types not stated",
        "signed τ (NTK is negative)",
    ),
)

ZCNAS_FULL = PaperTable(
    key="zc-nas-full",
    paper=ZCNAS,
    table="Table 1",
    title="|Spearman ρ| over all 15,625 NAS-Bench-201 architectures",
    metric="|spearman|",
    columns=("c10", "c100", "in16"),
    rows={
        "synflow": (0.737, 0.763, 0.751),
        "jacob_cov": (0.731, 0.704, 0.701),
        "snip": (0.596, 0.637, 0.578),
    },
    notes=(
        "target: NB201 200-epoch test accuracy, C10 from the cifar10-valid entry; batch 64, seed 42, "
        "PyTorch default init (the authors' nasbench2_pred.py)",
    ),
)

TABLES: dict[str, PaperTable] = {
    t.key: t
    for t in (
        WRCOR_T2,
        WRCOR_T2_EST,
        WRCOR_T4,
        WRCOR_T5,
        WRCOR_T6,
        SED_T2_TSS,
        SED_GROUPS,
        RANKSA_T1,
        ZCNAS_FULL,
    )
}
