"""``table``: ground truth from any CSV or Parquet file with NB201 strings and metric columns
(an instance of the generic ``nas_harness.api.tables.TableOracle``).

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

from nas_harness.api.tables import TableConfig
from nas_harness.api.tables import TableOracle as GenericTableOracle

from . import arch as A


class TableOracle(GenericTableOracle):
    """The generic table oracle with NB201's arch column and canonical strings."""

    name = "table"

    class Config(TableConfig):
        arch_column: str = "ArchitectureString"

    def row_arch(self, row) -> str:
        text = row[self.config.arch_column]
        return A.canonical(text.strip() if isinstance(text, str) else text)
