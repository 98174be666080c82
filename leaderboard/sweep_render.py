"""Rich rendering of a sweep: proxies × values, then mean and population std (WRCor Tables 4–6)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .sweep_schema import SweepResult


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def sweep_table(result: SweepResult) -> Table:
    metric = {"spearman": "ρ", "kendall": "τ"}[result.metric]
    metric = f"|{metric}|" if result.abs else metric
    linked = f" (with {', '.join(result.linked)})" if result.linked else ""
    comparable = {p.comparable for p in result.points}
    caption = (
        "\n".join(f"{p.label}: {p.comparable}" for p in result.points)
        if len(comparable) > 1
        else next(iter(comparable), "")
    )
    table = Table(title=f"sweep of {result.field}{linked}: {metric}", caption=caption, caption_justify="left")
    table.add_column("proxy")
    for p in result.points:
        table.add_column(p.label, justify="right")
    table.add_column("mean", justify="right")
    table.add_column("std", justify="right")
    for row in result.rows:
        name = Text(row.reference, style="italic") if row.reference else row.proxy
        cells = []
        for c in row.cells:
            if c is None:
                cells.append("—")
            else:
                txt = Text(_fmt(c.value))
                if c.n_failed:
                    txt.append(f" ({c.n_failed}✗)", style="red")
                cells.append(txt)
        table.add_row(name, *cells, _fmt(row.mean), _fmt(row.std), style="dim" if row.reference else None)
    return table


def render_sweep(result: SweepResult, console: Console) -> None:
    console.print(sweep_table(result))
    console.print(
        "[dim]std is the population standard deviation (ddof = 0) over the values where the proxy has a number; "
        "n✗ = architectures that failed at that value[/]"
    )
