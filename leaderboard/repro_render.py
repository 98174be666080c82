"""Rich rendering of a reproduction: paper | ours | Δ per cell, notes as numbered footnotes."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .repro_schema import ReproResult

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
UNEXPLAINED = "?"  # a gap over the tolerance with no measured cause yet


def _is_rank(column: str) -> bool:
    return column.endswith("rank")


def _fmt(value: float | None, column: str, metric: str) -> str:
    if value is None:
        return "—"
    if _is_rank(column):
        return f"{value:,.0f}"
    if metric == "argmax":
        return f"{value:.2f}"
    return f"{value:.3f}"


def _diff(value: float | None, column: str, metric: str) -> Text:
    if value is None:
        return Text("")
    if _is_rank(column):
        return Text(f"{value:+,.0f}", style="green" if value == 0 else "yellow")
    if metric == "argmax":
        return Text(f"{value:+.2f}", style="green" if abs(value) < 0.006 else "yellow")
    a = abs(value)
    return Text(f"{value:+.3f}", style="green" if a <= 0.02 else "yellow" if a <= 0.05 else "red")


def repro_table(result: ReproResult) -> tuple[Table, list[str], list[str]]:
    """The table, its footnotes (notes on cells) and the details (tied sets, means)."""
    footnotes: list[str] = []
    details: list[str] = []
    table = Table(
        title=f"{result.suite} v{result.version}: {result.table} — {result.title}",
        caption=result.paper,
        caption_justify="left",
        show_lines=False,
    )
    table.add_column("row")
    table.add_column("ours as")
    for col in result.columns:
        table.add_column(f"{col}\npaper", justify="right")
        table.add_column("ours", justify="right")
        table.add_column("Δ", justify="right")
    for row in result.rows:
        cells: list[Text | str] = [row.row, Text(row.proxy or "—", style="dim")]
        if row.status in ("not installed", "no plugin", "not run"):
            cells[1] = Text(f"{row.proxy or '—'} ({row.status})", style="yellow")
        for cell in row.cells:
            marks = []
            why = [f"why {row.row} / {cell.column} is off: {cell.why}"] if cell.why else []
            for note in [*cell.notes, *why] if cell.ours is not None or why else ():
                if note not in footnotes:
                    footnotes.append(note)
                marks.append(str(footnotes.index(note) + 1))
            ours = Text(_fmt(cell.ours, cell.column, result.metric))
            if marks:
                ours.append(",".join(marks).translate(_SUPERSCRIPT), style="cyan")
            if cell.unexplained:
                ours.append(UNEXPLAINED, style="bold red")
            if cell.detail:
                details.append(f"{row.row} / {cell.column}: {cell.detail}")
            cells += [
                _fmt(cell.paper, cell.column, result.metric),
                ours,
                _diff(cell.diff, cell.column, result.metric),
            ]
        table.add_row(*cells, style="dim" if row.status == "extra" else None)
    return table, footnotes, details


def render_repro(result: ReproResult, console: Console, show_details: bool = True) -> None:
    table, footnotes, details = repro_table(result)
    console.print(table)
    for i, note in enumerate(footnotes, start=1):
        console.print(f"  [cyan]{str(i).translate(_SUPERSCRIPT)}[/] {note}", highlight=False)
    for note in result.notes:
        console.print(f"  [dim]• {note}[/]", highlight=False)
    extra = [r for r in result.rows if r.status == "extra" and r.note]
    for r in extra:
        console.print(f"  [dim]• {r.row}: {r.note}[/]", highlight=False)
    if show_details and details:
        for d in details:
            console.print(f"  [dim]{d}[/]", highlight=False)
    open_gaps = [f"{r.row} / {c.column}" for r in result.rows for c in r.cells if c.unexplained]
    if open_gaps:
        console.print(
            f"  [bold red]{UNEXPLAINED}[/] {len(open_gaps)} cell(s) more than 0.05 from the paper (or undefined where "
            f"it has a value) have no measured explanation yet: {', '.join(open_gaps)}",
            highlight=False,
        )
    computed = sum(r.computed for r in result.runs)
    reused = sum(r.reused for r in result.runs)
    console.print(
        f"  {len(result.runs)} runs, {computed} scores computed, {reused} from the store, "
        f"{result.duration_s:.0f} s",
        highlight=False,
    )
