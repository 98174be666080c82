"""NAS-Bench-Macro reproduction: FT-ScoreNet Table I's handcrafted columns, planned as the issue's run.

One correlation run with the setting of the measured run in docs/results.md (``nash run --space
nasbench_macro --n 200 --data cifar10_sample.npz``): 200 random archs (sample seed 0), ground
truth the benchmark's mean over 3 runs, 64 CIFAR-10 training images of a JPEG copy (seed 42),
Kaiming-uniform, model seed 42; ``nash reproduce ftscorenet-t1-macro`` reads its scores from
the store.
"""

from __future__ import annotations

from typing import Any

from nas_harness.api.suites import Reproduction, ReproOptions, RunPlan

from .paper_values import FTSCORENET_T1

C10 = "data/images/cifar10_sample.npz"
SAMPLE = {"mode": "random", "n": 200, "seed": 0}
NOTE_SETTING = "ours: 200 random archs (sample seed 0), the issue's done-when run; the paper's: 1,000 random"
NOTE_DATA = (
    "64 CIFAR-10 training images from a JPEG copy (cifar10_sample.npz, s=42), Kaiming-uniform, seed 42"
)


def run_config(options: ReproOptions, proxies: list[str]) -> dict[str, Any]:
    """The run config of the measured NAS-Bench-Macro run (docs/results.md)."""
    sample = {**SAMPLE, "take": options.n} if options.n is not None else dict(SAMPLE)
    return {
        "space": "nasbench_macro",
        "dataset": "cifar10",
        "proxies": list(proxies),
        "sample": sample,
        "input": {"path": str(options.require("c10", C10)), "split": "train", "batch_size": 64, "seed": 42},
        "init": "kaiming_uniform",
        "seed": 42,
        "bootstrap": options.bootstrap,
        "ceiling": "auto" if options.ceiling else "off",
        **options.execution(),
    }


def plan(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    return [
        RunPlan(
            "macro",
            "NAS-Bench-Macro, 200 random archs",
            run_config(options, proxies),
            (NOTE_SETTING,),
            (NOTE_DATA,),
        )
    ]


REPRODUCTIONS: tuple[Reproduction, ...] = (
    Reproduction(
        "ftscorenet-t1-macro",
        "1",
        FTSCORENET_T1,
        "FT-ScoreNet Table I, Macro row: Zen-Score, Params, NASWOT",
        {"Zen-Score": "zen", "Params": "params", "NASWOT": "naswot"},
        plan,
        use_abs=False,
        notes=("signed ρ",),
    ),
)
