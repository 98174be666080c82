"""``table``: ground truth from any CSV or Parquet file, for any space (the generic table oracle).

One row per architecture; the space parses the architecture (``arch_column``, or several
columns through ``row_arch``) and each task's metric is a numeric column. A task's metric is
either given by ``metric_column`` (one column for every task, or ``{task: column}``) with the
shared ``metric``/``split``/``epochs``/``seed_aggregation``/``higher_is_better``, or fully by
``metrics: {task: {column, higher_is_better, metric, unit, split, epochs, runs, aggregation,
scale}}`` — ``runs`` are per-run columns (several trainings of each architecture) that feed the
noise ceiling. A benchmark's space subclasses this oracle with its file and columns as defaults.

The oracle is partial by nature: ``coverage(task)`` is the set of architectures with a finite
value. Checked when the file is first read, each failure naming the file: the file exists and
parses, the columns exist (the error lists the ones that do), every architecture parses, no
architecture appears twice (after canonicalising), and every metric value is a number (empty
is NaN). CSV positions are file line numbers (the header is line 1), Parquet positions 1-based
row numbers. A relative ``path`` that does not exist from the current folder is looked up in
the shared data folder (``$NASH_SHARED_DIR``, else ``../shared``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from .config import PluginConfig
from .errors import ArchError, HarnessError
from .paths import SHARED_ENV, shared_path
from .plugins import Oracle
from .records import OracleInfo

_PARQUET_SUFFIXES = {".parquet", ".pq"}
_SHOW = 5  # how many offending rows an error lists


class TableMetric(PluginConfig):
    """One task's ground truth in the table."""

    column: str
    higher_is_better: bool = True
    metric: str | None = Field(None, description="what the number is (default: the column name)")
    unit: str = ""
    split: str = ""
    epochs: int | None = None
    runs: tuple[str, ...] = Field(
        (), description="per-run columns (noise ceiling); the column is their aggregate"
    )
    aggregation: str = Field(
        "as given", description="how the column aggregates runs/seeds, e.g. 'mean(3 runs)'"
    )
    scale: float = Field(1.0, description="multiply values by this (e.g. 100 for fractions shown as %)")


class TableConfig(PluginConfig):
    path: str = Field(description="CSV or Parquet file (relative: also looked up in the shared data folder)")
    arch_column: str = "arch"
    metrics: dict[str, TableMetric] = Field(default_factory=dict, description="{task: metric}")
    metric_column: str | dict[str, str] | None = Field(
        None, description="short form: the metric's column, or {task: column}, described by the fields below"
    )
    metric: str | None = Field(None, description="short form: what the metric is; default the column name")
    split: str = "test"
    epochs: int | None = 200
    seed_aggregation: str = "as given"
    higher_is_better: bool = True


class TableOracle(Oracle):
    name = "table"
    Config = TableConfig
    summary = "ground truth from a CSV/Parquet file (architecture column + one column per task)"

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.path = shared_path(self.config.path)
        self._index: dict[str, int] | None = None
        self._columns: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ what a row means
    def row_arch(self, row: Mapping[str, Any]) -> str:
        """The canonical architecture of one row (default: the space parses ``arch_column``)."""
        if self.space is None:
            raise HarnessError(
                f"oracle {self.name!r} was built without its space, so it cannot parse architectures"
            )
        text = row[self.config.arch_column]
        return self.space.parse(text.strip() if isinstance(text, str) else text)

    def arch_columns(self) -> list[str]:
        """The columns ``row_arch`` reads."""
        return [self.config.arch_column]

    def metric_for(self, task: str) -> TableMetric:
        c = self.config
        if task in c.metrics:
            return c.metrics[task]
        mapping = c.metric_column
        if mapping is None or (isinstance(mapping, dict) and task not in mapping):
            known = sorted(c.metrics) + (sorted(mapping) if isinstance(mapping, dict) else [])
            raise HarnessError(
                f"table oracle ({self.path}): no metric for task {task!r}; it labels {', '.join(known) or 'nothing'}"
            )
        column = mapping if isinstance(mapping, str) else mapping[task]
        return TableMetric(
            column=column,
            higher_is_better=c.higher_is_better,
            metric=c.metric,
            split=c.split,
            epochs=c.epochs,
            aggregation=c.seed_aggregation,
        )

    # ------------------------------------------------------------------ Oracle
    def tasks(self) -> tuple[str, ...]:
        c = self.config
        if isinstance(c.metric_column, str) and self.space is not None:
            return tuple(self.space.tasks())
        return tuple(c.metrics) + (tuple(c.metric_column) if isinstance(c.metric_column, dict) else ())

    def describe(self, task: str) -> OracleInfo:
        m = self.metric_for(task)
        self._load()
        return OracleInfo(
            oracle=self.name,
            dataset=task,
            metric=m.metric or m.column,
            split=m.split,
            epochs=m.epochs,
            seed_aggregation=m.aggregation,
            higher_is_better=m.higher_is_better,
            source=f"file {self.path} column {m.column!r}",
            unit=m.unit,
        )

    def coverage(self, task: str) -> list[str]:
        values = self._values(self.metric_for(task).column)
        index = self._load()
        return [arch for arch, row in index.items() if np.isfinite(values[row])]

    def query(self, archs: Sequence[str], task: str) -> np.ndarray:
        return self._lookup(archs, self.metric_for(task).column)

    def query_seeds(self, archs: Sequence[str], task: str) -> np.ndarray:
        runs = self.metric_for(task).runs
        if not runs:
            raise NotImplementedError(f"oracle {self.name!r} has no per-run columns for task {task!r}")
        return np.vstack([self._lookup(archs, column) for column in runs])

    # ------------------------------------------------------------------ reading
    def _lookup(self, archs: Sequence[str], column: str) -> np.ndarray:
        index = self._load()
        values = self._values(column)
        out = np.full(len(archs), np.nan)
        for n, arch in enumerate(archs):
            row = index.get(arch)
            if row is None:
                row = index.get(self._canonical(arch))
            if row is not None:
                out[n] = values[row]
        return out

    def _canonical(self, arch: str) -> str:
        try:
            return (
                self.row_arch({self.config.arch_column: arch})
                if self.arch_columns() == [self.config.arch_column]
                else arch
            )
        except (ArchError, HarnessError):
            return arch

    def _values(self, column: str) -> np.ndarray:
        self._load()
        if column not in self._columns:
            raise HarnessError(f"table oracle: {self.path} has no column {column!r} loaded")
        m_scale = {m.column: m.scale for m in self.config.metrics.values()}
        return self._columns[column] * m_scale.get(column, 1.0)

    def _where(self, row: int) -> str:
        return f"row {row + 1}" if self._is_parquet() else f"line {row + 2}"

    def _is_parquet(self) -> bool:
        return self.path.suffix.lower() in _PARQUET_SUFFIXES

    def _read_frame(self):
        import pandas as pd

        if not self.path.is_file():
            raise HarnessError(
                f"table oracle: file not found: {self.path} (a relative path is looked up in the current folder, "
                f"then in the shared data folder: set ${SHARED_ENV} or give an absolute path)"
            )
        try:
            if self._is_parquet():
                return pd.read_parquet(self.path)
            return pd.read_csv(self.path, dtype=str)
        except ImportError as exc:
            raise HarnessError(
                f"table oracle: reading {self.path} needs pyarrow (pip install pyarrow): {exc}"
            ) from exc
        except Exception as exc:  # noqa: BLE001 - pandas raises many parser/IO types
            raise HarnessError(f"table oracle: cannot read {self.path}: {type(exc).__name__}: {exc}") from exc

    def _wanted_columns(self) -> list[str]:
        c = self.config
        cols = [m.column for m in c.metrics.values()] + [r for m in c.metrics.values() for r in m.runs]
        if isinstance(c.metric_column, str):
            cols.append(c.metric_column)
        elif isinstance(c.metric_column, dict):
            cols.extend(c.metric_column.values())
        return list(dict.fromkeys(cols))

    def _load(self) -> dict[str, int]:
        if self._index is not None:
            return self._index
        import pandas as pd

        frame = self._read_frame()
        metric_cols = self._wanted_columns()
        missing = [
            col for col in dict.fromkeys(self.arch_columns() + metric_cols) if col not in frame.columns
        ]
        if missing:
            raise HarnessError(
                f"table oracle: {self.path} has no column {', '.join(map(repr, missing))}; "
                f"columns: {', '.join(map(repr, map(str, frame.columns)))}"
            )
        index: dict[str, int] = {}
        duplicates: list[str] = []
        records = frame[self.arch_columns()].to_dict("records")
        for row, record in enumerate(records):
            try:
                arch = self.row_arch(record)
            except (ArchError, HarnessError, ValueError, KeyError, TypeError) as exc:
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
        for column in metric_cols:
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


# --------------------------------------------------------------------------- keyed CSV reader


class CsvTable:
    """Rows of a benchmark CSV keyed by ``key(row) -> str`` (e.g. NB101's graph hash), for oracles
    whose architecture key is not a canonical string; rows sharing a key are averaged column-wise.
    A relative ``path`` is looked up like ``TableOracle``'s; errors name the file and line."""

    def __init__(
        self,
        path: str,
        key_columns: Sequence[str],
        columns: Sequence[str],
        key: Callable[[dict], str],
        *,
        allow_repeats: bool = False,
    ):
        self.path = shared_path(path)
        self._spec = (tuple(key_columns), tuple(columns), key, allow_repeats)
        self._rows: dict[str, int] | None = None
        self._values: dict[str, np.ndarray] = {}

    def rows(self) -> dict[str, int]:
        if self._rows is None:
            self._load()
        return self._rows

    def values(self, column: str) -> np.ndarray:
        self.rows()
        return self._values[column]

    def lookup(self, keys: Sequence[str | None], column: str) -> np.ndarray:
        rows, values = self.rows(), self.values(column)
        out = np.full(len(keys), np.nan)
        for n, k in enumerate(keys):
            if k is not None and k in rows:
                out[n] = values[rows[k]]
        return out

    def _load(self) -> None:
        import pandas as pd

        key_columns, columns, key, allow_repeats = self._spec
        if not self.path.is_file():
            raise HarnessError(
                f"oracle file not found: {self.path} (relative paths are looked up in the shared data "
                f"folder: set $NASH_SHARED_DIR or give an absolute path)"
            )
        frame = pd.read_csv(self.path, dtype=str, keep_default_na=False, na_values=[""])
        missing = [c for c in (*key_columns, *columns) if c not in frame.columns]
        if missing:
            raise HarnessError(
                f"{self.path}: no column {', '.join(map(repr, missing))}; columns: {list(frame.columns)}"
            )
        keys = []
        for line, record in enumerate(frame[list(key_columns)].to_dict("records"), start=2):
            try:
                keys.append(key(record))
            except (HarnessError, ValueError, TypeError) as exc:
                raise HarnessError(f"{self.path} line {line}: {exc}") from exc
        order = list(dict.fromkeys(keys))
        if len(order) != len(keys) and not allow_repeats:
            raise HarnessError(f"{self.path}: {len(keys) - len(order)} architecture(s) appear more than once")
        self._rows = {k: i for i, k in enumerate(order)}
        for column in columns:
            numbers = pd.to_numeric(frame[column], errors="coerce")
            bad = np.flatnonzero(numbers.isna().to_numpy() & frame[column].notna().to_numpy())
            if len(bad):
                raise HarnessError(
                    f"{self.path} line {int(bad[0]) + 2}: column {column!r} is not a number "
                    f"({frame[column].iloc[int(bad[0])]!r})"
                )
            means = pd.Series(numbers.to_numpy(dtype=float)).groupby(pd.Series(keys)).mean()
            self._values[column] = means.reindex(order).to_numpy(dtype=float)


__all__ = ["CsvTable", "TableConfig", "TableMetric", "TableOracle"]
