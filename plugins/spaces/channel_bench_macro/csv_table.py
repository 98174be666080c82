"""A CSV of one benchmark's ground truth, read once: the rows by architecture, numeric columns.

A relative path that does not exist from the current folder is looked up in the shared data
folder (``$NASH_SHARED_DIR``, else ``../shared`` of the current folder). Errors name the file,
the line and what was expected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from nas_harness.api import HarnessError


def shared_path(relative: str) -> Path:
    path = Path(relative).expanduser()
    if path.is_absolute() or path.exists():
        return path
    env = os.environ.get("NASH_SHARED_DIR")
    return (Path(env) if env else Path.cwd().parent / "shared") / path


class CsvTable:
    """Rows of ``path`` keyed by ``key(row) -> str``; rows with one key are averaged column-wise."""

    def __init__(self, path: str, key_columns: Sequence[str], columns: Sequence[str],
                 key: Callable[[dict], str], *, allow_repeats: bool = False):
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
            raise HarnessError(f"oracle file not found: {self.path} (relative paths are looked up in the shared data "
                               f"folder: set $NASH_SHARED_DIR or give an absolute path)")
        frame = pd.read_csv(self.path, dtype=str, keep_default_na=False, na_values=[""])
        missing = [c for c in (*key_columns, *columns) if c not in frame.columns]
        if missing:
            raise HarnessError(f"{self.path}: no column {', '.join(map(repr, missing))}; columns: {list(frame.columns)}")
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
                raise HarnessError(f"{self.path} line {int(bad[0]) + 2}: column {column!r} is not a number "
                                   f"({frame[column].iloc[int(bad[0])]!r})")
            means = pd.Series(numbers.to_numpy(dtype=float)).groupby(pd.Series(keys)).mean()
            self._values[column] = means.reindex(order).to_numpy(dtype=float)
