"""NAS-Bench-MR reproduction: the Eproxy paper's Table 5, planned as the issue's runs.

One correlation run per task with the setting of the measured runs in docs/results.md (``nash
run --space nbmr --dataset TASK --n 200 --data cifar10_sample.npz``): 200 random networks
(sample seed 0), the task's metric column of nbmr.csv as ground truth, the classification form
of each network scored on 64 CIFAR-10 training images of a JPEG copy (seed 42), Kaiming-uniform,
model seed 42. The nine tasks share one network and batch (``Task.scored_as``), so the scores are
computed once; ``nash reproduce eproxy-t5-nbmr`` reads them from the store.
"""

from __future__ import annotations

from typing import Any

from nas_harness.api.suites import Reproduction, ReproOptions, RunPlan

from .paper_values import EPROXY_T5, TASK_COLUMNS

C10 = "data/images/cifar10_sample.npz"
SAMPLE = {"mode": "random", "n": 200, "seed": 0}
NOTE_SETTING = (
    "ours: 200 random networks (sample seed 0), the issue's done-when run; the paper's: all ≈ 2,500"
)
NOTE_DATA = (
    "the 10-class classification form scored on 64 CIFAR-10 training images from a JPEG copy "
    "(cifar10_sample.npz, s=42), Kaiming-uniform, seed 42"
)


def run_config(options: ReproOptions, task: str, proxies: list[str]) -> dict[str, Any]:
    """The run config of a measured NAS-Bench-MR run (docs/results.md)."""
    sample = {**SAMPLE, "take": options.n} if options.n is not None else dict(SAMPLE)
    return {
        "space": "nbmr",
        "dataset": task,
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


# Measured on the 200 networks of the runs above (their score_correlations, docs/results.md): params'
# own ρ with each small-data task, and each size-driven proxy's ρ with params.
PARAMS_RHO = {
    "cls-50-100": -0.31,
    "cls-10-1000": -0.27,
    "video": -0.38,
    "video-p": -0.33,
}  # cls-10c: -0.04, no size effect
RHO_WITH_PARAMS = {"Synflow": 0.87, "ZenNAS": 0.89, "ZiCo": 0.89}


def size_note(row: str, task: str) -> str:
    return (
        f"on these 200 networks the larger ones did worse on {task}: params alone has ρ {PARAMS_RHO[task]:+.2f}, "
        f"and {row} ranks by size (ρ {RHO_WITH_PARAMS[row]:.2f} with params over the same networks), so it "
        "takes the sign; the paper's value (all ≈ 2,500 networks) is not size-driven there, for a reason "
        "we could not isolate (sample, scoring form and head, float range)"
    )


GAPS = {f"{row}/{task}": size_note(row, task) for row in RHO_WITH_PARAMS for task in PARAMS_RHO}


def plan(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    return [
        RunPlan(task, task, run_config(options, task, proxies), (NOTE_SETTING,), (NOTE_DATA,))
        for task in TASK_COLUMNS
    ]


REPRODUCTIONS: tuple[Reproduction, ...] = (
    Reproduction(
        "eproxy-t5-nbmr",
        "1",
        EPROXY_T5,
        "Eproxy paper Table 5: ρ per task on NAS-Bench-MR (top-10 % in docs/results.md)",
        {
            "Synflow": "synflow",
            "NASWOT": "naswot",
            "ZenNAS": "zen",
            "ZiCo": "zico",
            "Eproxy": "eproxy",
            "Eproxy+DPS": None,
            "Cls-C full training": None,
        },
        plan,
        use_abs=False,
        notes=("signed ρ",),
        gaps=GAPS,
    ),
)
