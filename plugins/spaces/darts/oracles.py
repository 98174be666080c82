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

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from pydantic import Field

from nas_harness.api import ArchError, HarnessError, OracleInfo, PluginConfig
from nas_harness.api.tables import TableConfig, TableMetric, TableOracle

from . import genotype as G


class _GenotypeTable(TableOracle):
    """A CSV of genotype strings and one metric column; repeated genotypes (after
    canonicalising) are averaged into one row, and the description says how many were."""

    default_path: ClassVar[str]
    description: ClassVar[str]

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        config = config if config is not None else self.Config()
        if config.path is None:
            config = config.model_copy(update={"path": self.default_path})
        super().__init__(config, space=space)
        self._repeats = 0

    def row_arch(self, row: Mapping[str, Any]) -> str:
        return G.canonical(str(row[self.config.arch_column]))

    def describe(self, task: str) -> OracleInfo:
        info = super().describe(task)
        agg = "1 run" + (f" (mean of repeated rows: {self._repeats})" if self._repeats else "")
        return replace(info, seed_aggregation=agg, source=f"{self.description} — {info.source}")

    def _read_frame(self):
        frame = super()._read_frame()
        column = self.config.arch_column
        if column not in frame.columns:
            return frame  # the generic check names the missing column
        keys = []
        for line, text in enumerate(frame[column], start=2):
            try:
                keys.append(G.canonical(str(text)))
            except ArchError as exc:
                raise HarnessError(f"oracle {self.name!r}: {self.path} line {line}: {exc}") from exc
        keyed = frame.assign(_key=keys)
        self._repeats = len(frame) - keyed["_key"].nunique()
        if not self._repeats:
            return frame
        first = keyed.drop_duplicates("_key").set_index("_key")
        for m in self.config.metrics.values():
            means = keyed.assign(_v=keyed[m.column].astype(float)).groupby("_key")["_v"].mean()
            first[m.column] = means.reindex(first.index).map(repr)
        return first.reset_index(drop=True)


class NB301Config(TableConfig):
    path: str | None = Field(
        None, description="the CSV; default data/nb301/nbsz_nb301.csv under the shared data dir"
    )
    arch_column: str = "genotype"
    metrics: dict[str, TableMetric] = Field(
        default_factory=lambda: {
            "cifar10": TableMetric(
                column="val_accuracy",
                metric="accuracy",
                unit="%",
                split="valid",
                epochs=100,
                aggregation="1 run",
            )
        }
    )


class NB301Oracle(_GenotypeTable):
    name = "nb301"
    Config = NB301Config
    summary = "NAS-Bench-301 CIFAR-10 validation accuracy of 1,218 genotypes (NAS-Bench-Suite-Zero's file)"
    default_path = "data/nb301/nbsz_nb301.csv"
    description = (
        "NAS-Bench-301 CIFAR-10 validation accuracy (NB301 pipeline: C=32, 8 cells, 100 epochs) as "
        "published by NAS-Bench-Suite-Zero"
    )


class SharedCellConfig(TableConfig):
    path: str | None = Field(
        None, description="the CSV; default data/darts/darts_shared_cell_1000_cifar10_valid.csv"
    )
    arch_column: str = "genotype"
    metrics: dict[str, TableMetric] = Field(
        default_factory=lambda: {
            "cifar10": TableMetric(
                column="valid_acc",
                metric="accuracy",
                unit="%",
                split="valid",
                epochs=None,
                aggregation="1 run",
            )
        }
    )


class DartsSharedCellOracle(_GenotypeTable):
    name = "darts_shared_cell"
    Config = SharedCellConfig
    summary = "1,000 DARTS genotypes with equal cells, CIFAR-10 validation accuracy of a short training setup (SWAP)"
    default_path = "data/darts/darts_shared_cell_1000_cifar10_valid.csv"
    description = (
        "1,000 trained DARTS genotypes with equal normal and reduction cells (ops include none), CIFAR-10 "
        "validation accuracy of a short training setup from the SWAP repository — a different training setup "
        "from NB301, not comparable with it"
    )
