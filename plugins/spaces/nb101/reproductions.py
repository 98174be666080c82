"""NB101 reproductions: papers 001, 002 and 003's NB101 columns, planned as the issue's run.

Each column is one correlation run with the setting of the measured run in docs/results.md
(``nash run --space nb101 --n 200 --data cifar10_sample.npz``): 200 random architectures among
those the default oracle labels (sample seed 0), ground truth the Eproxy authors' 2,520-cell
CIFAR-10 file, 64 CIFAR-10 training images of a JPEG copy (seed 42), Kaiming-uniform, model
seed 42. So ``nash reproduce KEY`` reads the run's scores from the store. The cells say where
the paper's setting differs.
"""

from __future__ import annotations

from typing import Any

from nas_harness.api.suites import Reproduction, ReproOptions, RunPlan

from .paper_values import EPROXY_T2, FTSCORENET_T1, WRCOR_T7

C10 = "data/images/cifar10_sample.npz"
SAMPLE = {"mode": "random", "n": 200, "seed": 0}
NOTE_SETTING = (
    "ours: 200 random labelled cells (sample seed 0) of the eproxy2520 oracle (the Eproxy authors' "
    "2,520-cell CIFAR-10 file), the issue's done-when run"
)
NOTE_DATA = (
    "64 CIFAR-10 training images from a JPEG copy (cifar10_sample.npz, s=42), Kaiming-uniform, seed 42"
)


def run_config(options: ReproOptions, proxies: list[str]) -> dict[str, Any]:
    """The run config of the measured NB101 run (docs/results.md)."""
    sample = {**SAMPLE, "take": options.n} if options.n is not None else dict(SAMPLE)
    return {
        "space": "nb101",
        "dataset": "cifar10",
        "proxies": list(proxies),
        "sample": sample,
        "input": {"path": str(options.require("c10", C10)), "split": "train", "batch_size": 64, "seed": 42},
        "init": "kaiming_uniform",
        "seed": 42,
        "bootstrap": options.bootstrap,
        "ceiling": "auto" if options.ceiling else "off",
        "memory_limit_mb": 8192,
        **options.execution(),
    }


def plan(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    return [
        RunPlan(
            "nb101",
            "NB101, 200 random labelled cells",
            run_config(options, proxies),
            (NOTE_SETTING,),
            (NOTE_DATA,),
        )
    ]


REPRODUCTIONS: tuple[Reproduction, ...] = (
    Reproduction(
        "eproxy-t2-nb101",
        "1",
        EPROXY_T2,
        "Eproxy paper Table 2: ρ of efficient proxies on NB101 (top-10 % in docs/results.md)",
        {
            "Grad norm": "grad_norm",
            "Snip": "snip",
            "Grasp": "grasp",
            "Fisher": "fisher",
            "Synflow": "synflow",
            "NASWOT": "naswot",
            "ZenNAS": "zen",
            "ZiCo": "zico",
            "Eproxy": "eproxy",
            "Eproxy+DPS": None,
        },
        plan,
        use_abs=False,
        notes=("signed ρ; Eproxy+DPS needs labelled archs (nash run with eproxy_dps), not planned here",),
    ),
    Reproduction(
        "wrcor-t7-nb101",
        "1",
        WRCOR_T7,
        "WRCor Table 7: |ρ| of 25 proxies on NB101",
        {
            "PNorm": "l2_norm",
            "PGNorm": "grad_norm",
            "SNIP": "snip",
            "GraSP": "grasp",
            "SynFlow": "synflow",
            "Fisher": "fisher",
            "JacCor": "jacob_cov",
            "EPE": "epe_nas",
            "Phi": "phi",
            "Zen": "zen",
            "BT": "bt",
            "BndlEnt": "bndl_ent",
            "LyDynIso": "ly_dyn_iso",
            "DynIso": "dyn_iso",
            "NetSens": "net_sens",
            "NASWOT": "naswot",
            "ZiCo": "zico",
            "Params": "params",
            "FLOPs": "flops",
            "ValAcc": None,
            "ACor": "acor",
            "RCor": "rcor",
            "WRCor": "wrcor",
            "ZeroCost": "zerocost",
            "SPW": "spw",
            "SJW": "sjw",
        },
        plan,
        notes=(
            "|ρ| (the paper reports absolute values); ValAcc is not planned (no 12-epoch NB101 accuracy here)",
        ),
    ),
    Reproduction(
        "ftscorenet-t1-nb101",
        "1",
        FTSCORENET_T1,
        "FT-ScoreNet Table I, NB101 row: Zen-Score, Params, NASWOT",
        {"Zen-Score": "zen", "Params": "params", "NASWOT": "naswot"},
        plan,
        use_abs=False,
        notes=("signed ρ; the paper's 1,000 random NB101 archs against the 108-epoch validation accuracy",),
    ),
)
