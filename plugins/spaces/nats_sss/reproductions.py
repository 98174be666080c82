"""NATS-Bench-SSS reproduction: SED's Table 2 SSS columns (argmax over the whole space, its accuracy and rank).

One run per dataset over all 32,768 width configurations with the shared table oracle
(``data/nats_sss/nats_sss_acc.csv``: the 90-epoch *validation* accuracy of one run, where the
paper reports test accuracy), inputs as the measured runs of docs/results.md: CIFAR-10 from a
JPEG copy (batch 64), CIFAR-100's 20 real images (batch 20), the ImageNet16-120 stand-in.
Topology proxies (SED, #Param) cost seconds per dataset; the data-dependent rows run only when
asked (``--proxies``), at hours per dataset.
"""

from __future__ import annotations

from typing import Any

from nas_harness.api.suites import Reproduction, ReproOptions, RunPlan

from .paper_values import SED_T2_SSS

IMAGES = {
    "c10": (
        "cifar10",
        "data/images/cifar10_sample.npz",
        64,
        "CIFAR-10 images from a JPEG copy (cifar10_sample.npz)",
    ),
    "c100": (
        "cifar100",
        "data/images/cifar100_first20.npz",
        20,
        "only 20 real CIFAR-100 images: batch 20, not 64",
    ),
    "in16": (
        "ImageNet16-120",
        "data/images/imagenet16_standin.npz",
        64,
        "ImageNet16-120 stand-in images (one ImageNet photo per class), not the real set",
    ),
}
NOTE_TARGET = (
    "target: nats_sss_acc.csv, the 90-epoch validation accuracy of one run (the paper's: test accuracy); "
    "rank among all 32,768 by it"
)
NOTE_TIES = (
    "ours = the first tied architecture in index order (SED's float values tie on SSS: sig(C) rounds to "
    "1 for C ≥ 40; `tie_break: rank_keys` in a run config breaks them by SED's exact keys)"
)


def run_config(options: ReproOptions, key: str, proxies: list[str]) -> dict[str, Any]:
    """The whole-space run of one dataset; ``key`` names its images (``--file KEY=PATH``)."""
    dataset, images, batch, _ = IMAGES[key]
    sample: dict[str, Any] = {"mode": "all"}
    if options.n is not None:
        sample["take"] = options.n
    return {
        "space": "nats_sss",
        "dataset": dataset,
        "oracle": {"name": "table"},
        "proxies": list(proxies),
        "sample": sample,
        "input": {
            "path": str(options.require(key, images)),
            "split": "train",
            "batch_size": batch,
            "seed": 42,
        },
        "init": "kaiming_uniform",
        "seed": 42,
        "bootstrap": options.bootstrap,
        "ceiling": "off",
        "tie_policy": "first_index",
        **options.execution(),
    }


def plan_sed_sss(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    return [
        RunPlan(
            col,
            dataset,
            run_config(options, col, proxies),
            (NOTE_TARGET, NOTE_TIES),
            (note,),
        )
        for col, (dataset, _, _, note) in IMAGES.items()
    ]


REPRODUCTIONS: tuple[Reproduction, ...] = (
    Reproduction(
        "sed-t2-sss",
        "1",
        SED_T2_SSS,
        "SED Table 2, SSS: argmax over all 32,768 archs, accuracy and rank",
        {
            "grasp": "grasp",
            "meco": "meco",
            "zico": "zico",
            "synflow": "synflow",
            "zen": "zen",
            "grad norm": "grad_norm",
            "#Param": "params",
            "SED": "sed",
        },
        plan_sed_sss,
        kind="argmax",
        notes=("the detail lists the whole tied set of each argmax",),
    ),
)
