"""NB101's table oracles over the shared CSVs; both find a cell by NB101's graph hash.

NB101 keys its records by the hash of a cell, so any relabelling of a labelled cell is looked
up as that cell (a search that reaches an isomorphic string still gets its ground truth).
The rows' ``matrix`` and ``ops`` are NB101's JSON form; the architecture is their pruned
string.

* ``eproxy2520`` (default): the 2,520 cells the Eproxy authors evaluated (leeyeehoo/GenNAS-Zero),
  one CIFAR-10 run each, stored as a fraction (shown here in %); most likely NB101's validation
  accuracy at 108 epochs (the file does not say).
* ``nbsz500``: NAS-Bench-Suite-Zero's 500 NB101 rows (NASLib's samples) with their single-seed
  CIFAR-10 validation accuracy at 108 epochs. The rows repeat networks (292 distinct among 500;
  e.g. 55 rows are the input→output cell, NASLib having drawn one of NB101's 3 seeds per row):
  a network's value is the mean over its rows, and its first row stands for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from nas_harness.api.tables import TableConfig, TableMetric, TableOracle

from . import arch as A


class _HashKeyed(TableOracle):
    """A table of NB101 cells, with query/coverage by graph hash."""

    def arch_columns(self) -> list[str]:
        return ["matrix", "ops"]

    def row_arch(self, row: Mapping[str, Any]) -> str:
        try:
            matrix, ops = json.loads(row["matrix"]), json.loads(row["ops"])
        except (TypeError, json.JSONDecodeError) as exc:
            raise A.ArchError(f"matrix/ops must be JSON lists: {exc}") from exc
        return A.format_cell(A.check(A.from_matrix(matrix, ops)))

    def _by_hash(self) -> dict[str, str]:
        if getattr(self, "_hash_index", None) is None:
            self._hash_index = {A.graph_hash(A.cell_of(a)): a for a in self._load()}
        return self._hash_index

    def _stored(self, archs: Sequence[str]) -> list[str]:
        """The table's string for each arch (itself when it has no isomorph in the table)."""
        by_hash = self._by_hash()
        out = []
        for arch in archs:
            try:
                out.append(by_hash.get(A.graph_hash(A.cell_of(arch)), arch))
            except A.ArchError:
                out.append(arch)
        return out

    def query(self, archs: Sequence[str], task: str) -> np.ndarray:
        return super().query(self._stored(archs), task)

    def query_seeds(self, archs: Sequence[str], task: str) -> np.ndarray:
        return super().query_seeds(self._stored(archs), task)


class EproxyConfig(TableConfig):
    path: str = Field(
        "data/nb101/nb101_2520_cifar10.csv", description="the Eproxy authors' 2,520-cell sample"
    )
    arch_column: str = "matrix"
    metrics: dict[str, TableMetric] = Field(
        default_factory=lambda: {
            "cifar10": TableMetric(
                column="accuracy",
                metric="accuracy",
                unit="%",
                split="valid (most likely)",
                epochs=108,
                aggregation="one run",
                scale=100.0,
            )
        }
    )


class EproxySampleOracle(_HashKeyed):
    name = "eproxy2520"
    Config = EproxyConfig
    summary = (
        "NB101 CIFAR-10, the Eproxy authors' 2,520 cells: one run each, most likely validation at 108 epochs"
    )


class NBSZConfig(TableConfig):
    path: str = Field("data/nb101/nbsz_nb101_500.csv", description="NAS-Bench-Suite-Zero's NB101 rows")
    arch_column: str = "matrix"
    metrics: dict[str, TableMetric] = Field(
        default_factory=lambda: {
            "cifar10": TableMetric(
                column="val_accuracy",
                metric="accuracy",
                unit="%",
                split="valid",
                epochs=108,
                aggregation="mean over the file's rows of the network (one seed each)",
            )
        }
    )


class NBSZOracle(_HashKeyed):
    name = "nbsz500"
    Config = NBSZConfig
    summary = "NB101 CIFAR-10, NAS-Bench-Suite-Zero's 500 rows (292 networks): validation at 108 epochs"

    def _read_frame(self):
        """The file with one row per network: the metric columns averaged over a network's rows."""
        frame = super()._read_frame()
        keys = [
            A.graph_hash(A.cell_of(self.row_arch(r))) for r in frame[["matrix", "ops"]].to_dict("records")
        ]
        first = frame.assign(_key=keys).drop_duplicates("_key").set_index("_key")
        for m in self.config.metrics.values():
            for column in (m.column, *m.runs):
                means = frame.assign(_key=keys, _v=frame[column].astype(float)).groupby("_key")["_v"].mean()
                first[column] = means.reindex(first.index).map(repr)
        return first.reset_index(drop=True)
