"""``table`` (default): the nine tasks' metrics of the 2,507 networks, from ``nbmr.csv``.

One column per task is its metric by default (the first of each task's columns in
``tasks.TASK_SPECS``: top-1 for classification and video, mIoU for segmentation, moderate AP
for 3D detection; all percentages, higher is better), as NAS-Bench-MR publishes them: one
training per network and task, the benchmark's own evaluation split and schedule (the file
does not say more, so the signature says "as published"). ``metrics`` may name the other
columns (top-5, mAcc, aAcc).

Two networks read exactly 0.0 in ``3ddet_moderate``: failed runs, not measurements; the
columns in ``failed_as_nan`` turn exact zeros into NaN so they are unlabelled, not worst.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field

from nas_harness.api.tables import TableConfig, TableMetric, TableOracle

from .tasks import TASK_SPECS

_AS_PUBLISHED = "one run, as published"
DEFAULT_METRICS: dict[str, TableMetric] = {
    name: TableMetric(
        column=spec.columns[0],
        metric=spec.columns[0].rsplit("_", 1)[-1] if name != "3ddet_moderate" else "AP_moderate",
        unit="%",
        split="benchmark",
        aggregation=_AS_PUBLISHED,
    )
    for name, spec in TASK_SPECS.items()
}


class NBMRTableConfig(TableConfig):
    path: str = Field("data/nbmr/nbmr.csv", description="NAS-Bench-MR's table")
    arch_column: str = "code"
    metrics: dict[str, TableMetric] = Field(default_factory=lambda: dict(DEFAULT_METRICS))
    failed_as_nan: tuple[str, ...] = Field(
        ("3ddet_moderate",), description="columns whose exact 0.0 values are failed runs (read as NaN)"
    )


class NBMRTable(TableOracle):
    name = "table"
    Config = NBMRTableConfig
    summary = "NAS-Bench-MR's nine task metrics for its 2,507 networks (shared nbmr.csv)"

    def query(self, archs: Sequence[str], task: str) -> np.ndarray:
        values = super().query(archs, task)
        if self.metric_for(task).column in self.config.failed_as_nan:
            values[values == 0.0] = np.nan
        return values

    def coverage(self, task: str) -> list[str]:
        archs = super().coverage(task)
        if self.metric_for(task).column not in self.config.failed_as_nan:
            return archs
        values = super().query(archs, task)
        return [a for a, v in zip(archs, values) if v != 0.0]
