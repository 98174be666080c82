"""A small real run of the standard suite's protocols, for leaderboard and report tests.

The pinned ``STANDARD`` with 20 architectures, 50 bootstrap resamples and a budget-8 search:
the same code path as ``nash run --suite standard`` (``run_suite`` + ``write_run`` +
``write_suite``) at a fraction of its cost.
"""

from __future__ import annotations

from pathlib import Path

from nas_harness.api.suites import SearchPin
from nas_harness.plugins.spaces.nb201.suites import STANDARD
from nas_harness.runner import write_run
from nas_harness.standard import run_suite, write_suite

SMALL = STANDARD.model_copy(
    update={
        "version": "test-small",
        "sample": {"mode": "random", "n": 20, "seed": 0},
        "sample_digest": None,
        "bootstrap": 50,
        "search": SearchPin(
            strategy={
                "name": "regularized_evolution",
                "config": {"population_size": 4, "tournament_size": 2},
            },
            datasets=("cifar10",),
            budget=8,
            repeats=2,
            seed=0,
        ),
    }
)
PROXIES = ["sed", "params", "synflow"]


def run_small_suite(out: Path) -> Path:
    """Run ``SMALL`` for ``PROXIES`` into ``out`` (store inside it); returns the suite file."""
    outcome = run_suite(
        SMALL,
        PROXIES,
        execution={"threads": 1, "executor": "inline"},
        store_path=out / "scores.sqlite",
        on_run=lambda dataset, o: write_run(o, out)[0].name,
    )
    return write_suite(outcome, out)["suite"]
