"""Tables that fit the terminal: columns carry a priority, and the lowest-priority ones are
dropped until rich measures the table as fitting the console's width.

Essential columns (priority 0) never wrap and never shrink below their widest cell, so a proxy
name or a ρ with its CI is always printed in full; a column marked ``wrap`` may fold its text
over several lines instead of being dropped. ``wide=True`` keeps every column (rich then
shrinks the wrappable ones as it would any table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

ESSENTIAL = 0


@dataclass(frozen=True)
class Col:
    """One column: its header, its cells (one per row) and how readily it is given up."""

    header: str
    cells: list[RenderableType] = field(default_factory=list)
    priority: int = ESSENTIAL  # 0: always shown; the highest is dropped first
    justify: str = "left"
    wrap: bool = False  # may fold over lines (otherwise printed on one line)
    min_width: int | None = None  # a wrapped column narrower than this is dropped instead
    style: str | None = None


def _width(cell: RenderableType) -> int:
    text = cell if isinstance(cell, Text) else Text(str(cell))
    return max((line.cell_len for line in text.split()), default=0)


def _table(cols: list[Col], row_styles: list[str | None], **table_kwargs: Any) -> Table:
    table = Table(**table_kwargs)
    for c in cols:
        if c.wrap:
            table.add_column(
                c.header, justify=c.justify, style=c.style, overflow="fold", min_width=c.min_width
            )
        else:  # one line, never shrunk: rich may not cut what it cannot wrap below min_width
            widest = max([_width(c.header), *(_width(x) for x in c.cells)])
            table.add_column(c.header, justify=c.justify, style=c.style, no_wrap=True, min_width=widest)
    for i, style in enumerate(row_styles):
        table.add_row(*(c.cells[i] for c in cols), style=style)
    return table


def fitted_table(
    console: Console,
    columns: list[Col],
    row_styles: list[str | None] | None = None,
    wide: bool = False,
    **table_kwargs: Any,
) -> tuple[Table, list[str]]:
    """The table with as many columns as fit ``console.width``, and the headers left out.

    Columns are dropped one at a time, highest priority number first (the later column first
    among equals), until rich's own measurement of the table's minimum width fits.
    """
    n_rows = max((len(c.cells) for c in columns), default=0)
    styles = row_styles if row_styles is not None else [None] * n_rows
    kept = list(columns)
    dropped: list[str] = []
    while True:
        table = _table(kept, styles, **table_kwargs)
        if wide:
            return table, dropped
        unbounded = console.options.update_width(1_000_000)  # measured unclamped, compared with the width
        fits = Measurement.get(console, unbounded, table).minimum <= console.width
        optional = [c for c in kept if c.priority != ESSENTIAL]
        if fits or not optional:
            return table, dropped
        worst = max(optional, key=lambda c: (c.priority, kept.index(c)))
        kept.remove(worst)
        dropped.append(worst.header)


def dropped_note(dropped: list[str]) -> str:
    """The caption line that says what the width left out and how to see it."""
    if not dropped:
        return ""
    return f"not shown at this width: {', '.join(dropped)} (--wide shows every column)"
