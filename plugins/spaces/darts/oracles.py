"""Ground truth for the DARTS space: two published tables, two different training setups.

* ``nb301`` (default): ``data/nb301/nbsz_nb301.csv`` — 1,225 rows (1,218 distinct genotypes;
  the seven repeated ones are averaged) of NAS-Bench-301's CIFAR-10 validation accuracy (%) as
  NAS-Bench-Suite-Zero published it beside its proxy scores: the NB301 training pipeline
  (C = 32, 8 cells, 100 epochs, cosine schedule, cutout, auxiliary towers, drop path).
* ``darts_shared_cell``: ``data/darts/darts_shared_cell_1000_cifar10_valid.csv`` — 1,000 real
  trained genotypes whose normal and reduction cells are equal, with ``none`` among the ops and
  repeated sources allowed (outside the DARTS space proper), CIFAR-10 validation accuracy (%)
  of a different, short training setup (from the SWAP repository). Not NB301: its numbers are
  not comparable with the ``nb301`` oracle's.

Relative paths are looked up under ``$NASH_SHARED_DIR``, else ``../shared`` from the current
folder. Genotypes are matched by their canonical string (edge order within a node ignored).
"""

from __future__ import annotations

from typing import ClassVar, Optional, Sequence

import numpy as np
from pydantic import Field

from nas_harness.api import ArchError, HarnessError, Oracle, OracleInfo, PluginConfig, shared_path

from . import genotype as G


class _GenotypeTable(Oracle):
    """A CSV of genotype strings and one metric column, averaged over repeated genotypes."""

    default_path: ClassVar[str]
    arch_column: ClassVar[str]
    metric_column: ClassVar[str]
    epochs: ClassVar[Optional[int]]
    split: ClassVar[str] = "valid"
    description: ClassVar[str]
    datasets: ClassVar[tuple[str, ...]] = ("cifar10",)

    class Config(PluginConfig):
        path: Optional[str] = Field(None, description="the CSV; default the published file under the shared data dir")

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.path = shared_path(self.config.path or self.default_path)
        self._table: dict[str, float] | None = None
        self._repeats = 0

    def _check(self, dataset: str) -> None:
        if dataset not in self.datasets:
            raise HarnessError(f"oracle {self.name!r} labels {', '.join(self.datasets)}, not {dataset!r}")

    def describe(self, dataset: str) -> OracleInfo:
        self._check(dataset)
        self._load()
        return OracleInfo(
            oracle=self.name,
            dataset=dataset,
            metric="accuracy",
            split=self.split,
            epochs=self.epochs,
            seed_aggregation="1 run" + (f" (mean of repeated rows: {self._repeats})" if self._repeats else ""),
            higher_is_better=True,
            source=f"{self.description} — file {self.path} column {self.metric_column!r}",
        )

    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        self._check(dataset)
        table = self._load()
        return np.array([table.get(G.canonical(a), np.nan) for a in archs], dtype=float)

    def coverage(self, dataset: str | None = None) -> list[str]:
        """Canonical genotypes the table labels, in file order."""
        return list(self._load())

    def _load(self) -> dict[str, float]:
        if self._table is not None:
            return self._table
        import pandas as pd

        if not self.path.is_file():
            raise HarnessError(f"oracle {self.name!r}: file not found: {self.path} (set NASH_SHARED_DIR or path=)")
        frame = pd.read_csv(self.path)
        for col in (self.arch_column, self.metric_column):
            if col not in frame.columns:
                raise HarnessError(f"oracle {self.name!r}: {self.path} has no column {col!r}; columns: {list(frame.columns)}")
        sums: dict[str, list[float]] = {}
        for row, (text, value) in enumerate(zip(frame[self.arch_column], frame[self.metric_column])):
            try:
                key = G.canonical(text)
            except ArchError as exc:
                raise HarnessError(f"oracle {self.name!r}: {self.path} line {row + 2}: {exc}") from exc
            sums.setdefault(key, []).append(float(value))
        self._repeats = len(frame) - len(sums)
        self._table = {k: float(np.mean(v)) for k, v in sums.items()}
        return self._table


class NB301Oracle(_GenotypeTable):
    name = "nb301"
    default_path = "data/nb301/nbsz_nb301.csv"
    arch_column = "genotype"
    metric_column = "val_accuracy"
    epochs = 100
    description = "NAS-Bench-301 CIFAR-10 validation accuracy (NB301 pipeline: C=32, 8 cells, 100 epochs) as published by NAS-Bench-Suite-Zero"


class DartsSharedCellOracle(_GenotypeTable):
    name = "darts_shared_cell"
    default_path = "data/darts/darts_shared_cell_1000_cifar10_valid.csv"
    arch_column = "genotype"
    metric_column = "valid_acc"
    epochs = None
    description = (
        "1,000 trained DARTS genotypes with equal normal and reduction cells (ops include none), CIFAR-10 "
        "validation accuracy of a short training setup from the SWAP repository — a different training setup "
        "from NB301, not comparable with it"
    )
