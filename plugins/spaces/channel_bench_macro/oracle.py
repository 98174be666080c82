"""``table``: Channel-Bench-Macro's CIFAR-10 accuracies for one backbone.

``ChannelSpace.oracles()`` hands out this oracle with its own backbone as the default, so the
file follows the space's ``Config.backbone`` unless ``backbone`` or ``path`` is given. Each value
is the mean of the benchmark's 3 trainings (``mean_acc``); the runs (``test_acc_run1..3``) feed
the noise ceiling. The benchmark trained each network 60 epochs and kept the best CIFAR-10
*test* accuracy over the epochs (its ``train.py``).
"""

from __future__ import annotations

import functools
from typing import Literal, Optional, Sequence

import numpy as np
from pydantic import Field

from nas_harness.api import ArchError, HarnessError, Oracle, OracleInfo, PluginConfig

from .arch import parse_code, to_string
from nas_harness.api.tables import CsvTable

RUNS = ("test_acc_run1", "test_acc_run2", "test_acc_run3")


class ChannelTableOracle(Oracle):
    name = "table"

    class Config(PluginConfig):
        backbone: Literal["resnet", "mobilenet"] = "resnet"
        path: Optional[str] = Field(None, description="default: data/nb_macro/channel_bench_macro_<backbone>_cifar10.csv")

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.space = space  # contract v2 builds an oracle with its space; unused here
        path = self.config.path or f"data/nb_macro/channel_bench_macro_{self.config.backbone}_cifar10.csv"
        self.table = CsvTable(path, ["arch"], ["mean_acc", *RUNS], key=lambda row: to_string(parse_code(row["arch"])))

    def describe(self, dataset: str) -> OracleInfo:
        _check(dataset)
        return OracleInfo(oracle=self.name, dataset=dataset, metric="accuracy (best test accuracy over 60 epochs, %)",
                          split="test", epochs=60, seed_aggregation="mean(3 runs)",
                          source=f"file {self.table.path} column 'mean_acc' ({self.config.backbone})")

    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        _check(dataset)
        return self.table.lookup(_keys(archs), "mean_acc")

    def query_seeds(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        _check(dataset)
        keys = _keys(archs)
        return np.vstack([self.table.lookup(keys, run) for run in RUNS])


@functools.lru_cache(maxsize=None)
def oracle_for(space_backbone: str) -> type[ChannelTableOracle]:
    """The oracle class whose default backbone is the space's."""

    class Config(ChannelTableOracle.Config):
        backbone: Literal["resnet", "mobilenet"] = space_backbone  # type: ignore[assignment]

    return type(f"ChannelTableOracle_{space_backbone}", (ChannelTableOracle,), {"Config": Config})


def _check(dataset: str) -> None:
    if dataset != "cifar10":
        raise HarnessError(f"Channel-Bench-Macro's tables label cifar10 only, not {dataset!r}")


def _keys(archs: Sequence[str]) -> list[str | None]:
    out = []
    for a in archs:
        try:
            out.append(to_string(parse_code(a)))
        except ArchError:
            out.append(None)
    return out
