"""NB101's table oracles over the shared CSVs; both find a cell by NB101's graph hash.

NB101 keys its records by the hash of a cell, so any relabelling of a labelled cell is looked
up as that cell (a search that reaches an isomorphic string still gets its ground truth). The
rows' ``matrix`` and ``ops`` are NB101's JSON form.

* ``eproxy2520`` (default): the 2,520 cells the Eproxy authors evaluated (leeyeehoo/GenNAS-Zero),
  one CIFAR-10 run each, stored as a fraction (given here in %); most likely NB101's validation
  accuracy at 108 epochs (the file does not say).
* ``nbsz500``: NAS-Bench-Suite-Zero's 500 NB101 rows (NASLib's samples) with their single-seed
  CIFAR-10 validation accuracy at 108 epochs. The rows repeat networks (292 distinct among 500;
  e.g. 55 rows are the input→output cell, NASLib having drawn one of NB101's 3 seeds per row):
  a network's value is the mean over its rows.

``labelled()`` lists one string per labelled network (its first row's pruned form), for
``nash run --sample list`` (a random sample of the space would find almost no labelled cell).
"""

from __future__ import annotations

import json
from typing import ClassVar, Sequence

import numpy as np
from pydantic import Field

from nas_harness.api import ArchError, HarnessError, Oracle, OracleInfo, PluginConfig

from . import arch as A
from nas_harness.api.tables import CsvTable


def _row_key(row: dict) -> str:
    try:
        matrix, ops = json.loads(row["matrix"]), json.loads(row["ops"])
    except (TypeError, json.JSONDecodeError) as exc:
        raise ArchError(f"matrix/ops must be JSON lists: {exc}") from exc
    return A.graph_hash(A.check(A.from_matrix(matrix, ops)))


class _HashKeyed(Oracle):
    column: ClassVar[str]
    scale: ClassVar[float] = 1.0
    split: ClassVar[str]
    aggregation: ClassVar[str]

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.space = space  # contract v2 builds an oracle with its space; unused here
        self.table = CsvTable(self.config.path, ["matrix", "ops"], [self.column], key=_row_key, allow_repeats=True)

    def describe(self, dataset: str) -> OracleInfo:
        _check(dataset)
        return OracleInfo(oracle=self.name, dataset=dataset, metric="accuracy (%)", split=self.split, epochs=108,
                          seed_aggregation=self.aggregation, source=f"file {self.table.path} column {self.column!r}")

    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        _check(dataset)
        keys = []
        for a in archs:
            try:
                keys.append(A.graph_hash(A.cell_of(a)))
            except ArchError:
                keys.append(None)
        return self.table.lookup(keys, self.column) * self.scale

    def coverage(self, task: str) -> list[str]:
        """The cells this table labels (one canonical string per distinct network)."""
        return self.labelled()

    def labelled(self) -> list[str]:
        import pandas as pd

        frame = pd.read_csv(self.table.path, usecols=["matrix", "ops"])
        seen, out = set(), []
        for m, o in zip(frame["matrix"], frame["ops"]):
            cell = A.check(A.from_matrix(json.loads(m), json.loads(o)))
            if A.graph_hash(cell) not in seen:
                seen.add(A.graph_hash(cell))
                out.append(A.format_cell(cell))
        return out


class EproxySampleOracle(_HashKeyed):
    name = "eproxy2520"
    column = "accuracy"
    scale = 100.0
    split = "valid (most likely)"
    aggregation = "one run"

    class Config(PluginConfig):
        path: str = Field("data/nb101/nb101_2520_cifar10.csv", description="the Eproxy authors' 2,520-cell sample")


class NBSZOracle(_HashKeyed):
    name = "nbsz500"
    column = "val_accuracy"
    split = "valid"
    aggregation = "mean over the file's rows of the network (one seed each)"

    class Config(PluginConfig):
        path: str = Field("data/nb101/nbsz_nb101_500.csv", description="NAS-Bench-Suite-Zero's NB101 rows")


def _check(dataset: str) -> None:
    if dataset != "cifar10":
        raise HarnessError(f"the NB101 tables label cifar10 only, not {dataset!r}")
