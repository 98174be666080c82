"""``table``: NAS-Bench-Macro's CIFAR-10 accuracies (the shared CSV of the benchmark's JSON).

Each architecture's value is the mean of the benchmark's 3 trainings (``mean_acc``); the runs
(``test_acc_run1..3``) feed the noise ceiling. The benchmark trained every network 50 epochs and
kept the best CIFAR-10 *test* accuracy over the epochs (its ``train.py``), and trained only
canonical archs, copying their record to the equivalent ones: correlations should count
distinct networks (``MacroSpace.sample`` draws canonical archs only).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from pydantic import Field

from nas_harness.api import ArchError, HarnessError, Oracle, OracleInfo, PluginConfig

from .arch import parse_code, to_string
from nas_harness.api.tables import CsvTable

RUNS = ("test_acc_run1", "test_acc_run2", "test_acc_run3")


class MacroTableOracle(Oracle):
    name = "table"

    class Config(PluginConfig):
        path: str = Field("data/nb_macro/nas_bench_macro_cifar10.csv", description="the NAS-Bench-Macro CSV")

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.space = space  # contract v2 builds an oracle with its space; unused here
        self.table = CsvTable(self.config.path, ["arch"], ["mean_acc", *RUNS],
                              key=lambda row: to_string(parse_code(row["arch"])))

    def describe(self, dataset: str) -> OracleInfo:
        _check(dataset)
        return OracleInfo(oracle=self.name, dataset=dataset, metric="accuracy (best test accuracy over 50 epochs, %)",
                          split="test", epochs=50, seed_aggregation="mean(3 runs)",
                          source=f"file {self.table.path} column 'mean_acc'")

    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        _check(dataset)
        return self.table.lookup(_keys(archs), "mean_acc")

    def query_seeds(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        _check(dataset)
        keys = _keys(archs)
        return np.vstack([self.table.lookup(keys, run) for run in RUNS])


def _check(dataset: str) -> None:
    if dataset != "cifar10":
        raise HarnessError(f"NAS-Bench-Macro's table labels cifar10 only, not {dataset!r}")


def _keys(archs: Sequence[str]) -> list[str | None]:
    out = []
    for a in archs:
        try:
            out.append(to_string(parse_code(a)))
        except ArchError:
            out.append(None)
    return out
