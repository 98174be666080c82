"""DARTS-space reproductions (FT-ScoreNet Table I's DARTS row, SED's NB301 ρ), planned as the issue's run.

One correlation run with the setting of the measured run in docs/results.md (``nash run --space
darts --n 200 --data cifar10_sample.npz``): 200 random genotypes among those the default oracle
(``nb301``: NAS-Bench-Suite-Zero's 1,225 NB301 genotypes) labels (sample seed 0), 64 CIFAR-10
training images of a JPEG copy (seed 42), Kaiming-uniform, model seed 42; ``nash reproduce KEY``
reads its scores from the store.
"""

from __future__ import annotations

from typing import Any

from nas_harness.api.suites import Reproduction, ReproOptions, RunPlan

from .paper_values import FTSCORENET_T1, SED_NB301

C10 = "data/images/cifar10_sample.npz"
SAMPLE = {"mode": "random", "n": 200, "seed": 0}
NOTE_SETTING = (
    "ours: 200 random genotypes labelled by the nb301 oracle (NAS-Bench-Suite-Zero's NB301 file, "
    "validation accuracy), sample seed 0, the issue's done-when run"
)
NOTE_DATA = (
    "64 CIFAR-10 training images from a JPEG copy (cifar10_sample.npz, s=42), Kaiming-uniform, seed 42"
)


def run_config(options: ReproOptions, proxies: list[str]) -> dict[str, Any]:
    """The run config of the measured DARTS run (docs/results.md)."""
    sample = {**SAMPLE, "take": options.n} if options.n is not None else dict(SAMPLE)
    return {
        "space": "darts",
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
            "darts", "DARTS, 200 NB301 genotypes", run_config(options, proxies), (NOTE_SETTING,), (NOTE_DATA,)
        )
    ]


REPRODUCTIONS: tuple[Reproduction, ...] = (
    Reproduction(
        "ftscorenet-t1-darts",
        "1",
        FTSCORENET_T1,
        "FT-ScoreNet Table I, DARTS row: Zen-Score, Params, NASWOT (ours on NB301, theirs on NDS-DARTS)",
        {"Zen-Score": "zen", "Params": "params", "NASWOT": "naswot"},
        plan,
        use_abs=False,
        notes=(
            "signed ρ; a different ground truth (NAS-Bench-Suite-Zero's NB301 file vs NDS's DARTS training)",
        ),
    ),
    Reproduction(
        "sed-text-nb301",
        "1",
        SED_NB301,
        "SED text: ρ of SED on random NB301 genotypes",
        {"SED": "sed"},
        plan,
        use_abs=False,
        notes=("signed ρ; the paper's 2,000 random NB301 genotypes were labelled by NB301's surrogate",),
    ),
)
