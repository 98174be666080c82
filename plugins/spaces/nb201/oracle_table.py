"""``table``: ground truth from any CSV or Parquet file with NB201 strings and metric columns.

The file needs one column of NB201 architecture strings (``arch_column``) and one numeric
column per metric. ``metric_column`` is either one column used for every dataset or a mapping
``{dataset: column}``. ``split``, ``epochs``, ``seed_aggregation`` and ``metric`` only describe
what the numbers mean (they go into the result's signature); the file is taken as it is.

Checked when the file is first read, each failure naming the file: the file exists and parses,
the columns exist (the error lists the ones that do), every arch string is a valid NB201 cell,
no cell appears twice (after canonicalising), and every metric value is a number. An empty or
NaN metric value is not an error: that cell's ground truth is NaN. Cells absent from the file
are NaN too. CSV positions are reported as file line numbers (the header is line 1), Parquet
positions as 1-based row numbers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
from pydantic import Field

from nas_harness.api import ArchError, HarnessError, Oracle, OracleInfo, PluginConfig

from . import arch as A

_PARQUET_SUFFIXES = {".parquet", ".pq"}
_SHOW = 5  # how many offending rows an error lists


class TableOracle(Oracle):
    name = "table"

    class Config(PluginConfig):
        path: str = Field(description="CSV or Parquet file")
        arch_column: str = "ArchitectureString"
        metric_column: Union[str, dict[str, str]] = Field(
            description="column of the metric, or a mapping {dataset: column}"
        )
        metric: Optional[str] = Field(None, description="what the metric is; default the column name")
        split: str = "test"
        epochs: Optional[int] = 200
        seed_aggregation: str = "as given"
        higher_is_better: bool = True

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.path = Path(os.path.expanduser(self.config.path))
        self._index: dict[str, int] | None = None
        self._columns: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ Oracle
    def describe(self, dataset: str) -> OracleInfo:
        column = self._column_for(dataset)
        self._load()
        return OracleInfo(
            oracle=self.name,
            dataset=dataset,
            metric=self.config.metric or column,
            split=self.config.split,
            epochs=self.config.epochs,
            seed_aggregation=self.config.seed_aggregation,
            higher_is_better=self.config.higher_is_better,
            source=f"file {self.path} column {column!r}",
        )

    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        column = self._column_for(dataset)
        index = self._load()
        values = self._columns[column]
        out = np.full(len(archs), np.nan)
        for n, arch in enumerate(archs):
            row = index.get(A.canonical(arch))
            if row is not None:
                out[n] = values[row]
        return out

    # ------------------------------------------------------------------ reading
    def _column_for(self, dataset: str) -> str:
        mapping = self.config.metric_column
        if isinstance(mapping, str):
            return mapping
        if dataset not in mapping:
            raise HarnessError(
                f"table oracle ({self.path}): metric_column has no entry for dataset {dataset!r}; "
                f"it maps {', '.join(sorted(mapping)) or 'nothing'}"
            )
        return mapping[dataset]

    def _where(self, row: int) -> str:
        return f"row {row + 1}" if self._is_parquet() else f"line {row + 2}"

    def _is_parquet(self) -> bool:
        return self.path.suffix.lower() in _PARQUET_SUFFIXES

    def _read_frame(self):
        import pandas as pd

        if not self.path.is_file():
            raise HarnessError(f"table oracle: file not found: {self.path}")
        try:
            if self._is_parquet():
                return pd.read_parquet(self.path)
            return pd.read_csv(self.path, dtype=str)
        except ImportError as exc:
            raise HarnessError(f"table oracle: reading {self.path} needs pyarrow (pip install pyarrow): {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - pandas raises many parser/IO types
            raise HarnessError(f"table oracle: cannot read {self.path}: {type(exc).__name__}: {exc}") from exc

    def _load(self) -> dict[str, int]:
        if self._index is not None:
            return self._index
        import pandas as pd

        frame = self._read_frame()
        mapping = self.config.metric_column
        wanted = [self.config.arch_column] + ([mapping] if isinstance(mapping, str) else list(mapping.values()))
        missing = [c for c in dict.fromkeys(wanted) if c not in frame.columns]
        if missing:
            raise HarnessError(
                f"table oracle: {self.path} has no column {', '.join(map(repr, missing))}; "
                f"columns: {', '.join(map(repr, map(str, frame.columns)))}"
            )

        index: dict[str, int] = {}
        duplicates: list[str] = []
        for row, text in enumerate(frame[self.config.arch_column].tolist()):
            try:
                arch = A.canonical(text.strip() if isinstance(text, str) else text)
            except ArchError as exc:
                raise HarnessError(f"table oracle: {self.path} {self._where(row)}: {exc}") from exc
            if arch in index:
                if len(duplicates) < _SHOW:
                    duplicates.append(f"{arch} at {self._where(index[arch])} and {self._where(row)}")
                continue
            index[arch] = row
        if duplicates:
            n_dup = len(frame) - len(index)
            raise HarnessError(
                f"table oracle: {self.path} lists {n_dup} architecture(s) more than once, first: "
                + "; ".join(duplicates)
            )

        for column in dict.fromkeys(wanted[1:]):
            raw = frame[column]
            values = pd.to_numeric(raw, errors="coerce")
            bad = np.flatnonzero(values.isna().to_numpy() & raw.notna().to_numpy())
            if len(bad):
                shown = ", ".join(f"{self._where(int(r))} ({raw.iloc[int(r)]!r})" for r in bad[:_SHOW])
                raise HarnessError(
                    f"table oracle: {self.path} column {column!r} has {len(bad)} non-numeric value(s): {shown}"
                )
            self._columns[column] = values.to_numpy(dtype=float)
        self._index = index
        return index
