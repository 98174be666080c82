"""A search result as a rich table in the shape of WRCor's Table 9.

One row per (strategy, objective): the cost in seconds (cold-store estimate, mean per search),
then per dataset the target accuracy of the chosen architecture (mean ± std over repeats) and
its mean rank in the space; an ``Optimum`` row closes the table. Rows that searched with
ground truth come first, marked; a second table gives their P16 query counts.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .search_schema import SearchCell, SearchResult, Stat

SHORT = {"cifar10": "C10", "cifar10-valid": "C10", "cifar100": "C100", "ImageNet16-120": "IN16"}


def _pm(s: Stat, digits: int = 2) -> str:
    if s.mean is None:
        return "—"
    return f"{s.mean:.{digits}f} ± {s.std:.{digits}f}"


def _rank(s: Stat) -> str:
    return "—" if s.mean is None else f"{s.mean:.0f}" if s.std == 0 else f"{s.mean:.1f}"


def row_label(cell: SearchCell) -> str:
    if cell.uses_ground_truth:
        split = cell.proxy_config.get("target", "").split("/")[-1].split("@")[0]
        return f"{cell.strategy_label}-{ {'valid': 'ValAcc', 'test': 'TestAcc'}.get(split, 'Oracle') }"
    return f"{cell.strategy_label}-{cell.proxy}"


def search_table(result: SearchResult) -> Table:
    datasets = list(dict.fromkeys(c.dataset for c in result.cells))
    rows: dict[tuple[str, str], dict[str, SearchCell]] = {}
    for cell in sorted(result.cells, key=lambda c: (not c.uses_ground_truth,)):
        rows.setdefault((cell.strategy, cell.proxy), {})[cell.dataset] = cell
    first = result.cells[0] if result.cells else None
    budget = first.budget if first else 0
    repeats = len(first.repeats) if first else 0
    title = f"Search (P15): budget {budget} archs, {repeats} repeats — chosen architecture's ground truth"
    table = Table(title=title, title_justify="left")
    table.add_column("Algorithm", no_wrap=True)
    table.add_column("Cost (s)", justify="right")
    n_also = max((len(c.also) for c in result.cells), default=0)
    for d in datasets:
        sample = next(c for c in result.cells if c.dataset == d)
        name = SHORT.get(d, d)
        table.add_column(f"{name} {sample.target.split}", justify="right")
        for i in range(n_also):
            table.add_column(
                f"{name} {sample.also[i].split}" if i < len(sample.also) else f"{name} also", justify="right"
            )
        table.add_column(f"{name} rank", justify="right")
    gt_done = False
    for by_ds in rows.values():
        cells = list(by_ds.values())
        gt = cells[0].uses_ground_truth
        if not gt and not gt_done:
            _optimum_row(table, result, datasets, n_also)
            gt_done = True
        label = Text(row_label(cells[0]))
        if gt:
            label.append(" ⚠GT", style="bold yellow")
        if any(c.input_fallback for c in cells):
            label.append(" (noise input)", style="yellow")
        costs = [r.cost_s for c in cells for r in c.repeats]
        out = [label, f"{sum(costs) / len(costs):.1f}" if costs else "—"]
        for d in datasets:
            c = by_ds.get(d)
            out.append(_pm(c.accuracy) if c else "")
            for i in range(n_also):
                out.append(_pm(c.also_accuracy[i]) if c and i < len(c.also_accuracy) else "")
            out.append(_rank(c.rank) if c else "")
        table.add_row(*out)
    if not gt_done:
        _optimum_row(table, result, datasets, n_also)
    return table


def _optimum_row(table: Table, result: SearchResult, datasets: list[str], n_also: int) -> None:
    out: list = [Text("Optimum", style="bold"), "-"]
    for d in datasets:
        opt = next((c.optimum for c in result.cells if c.dataset == d and c.optimum is not None), None)
        out.append(f"{opt.value:.2f}" if opt else "—")
        out.extend([""] * n_also)
        out.append("1" if opt else "—")
    table.add_row(*out, end_section=True)


def query_table(result: SearchResult) -> Table | None:
    """P16: with ground truth as the objective, how many queries reached the space optimum."""
    cells = [c for c in result.cells if c.uses_ground_truth]
    if not cells:
        return None
    datasets = list(dict.fromkeys(c.dataset for c in cells))
    table = Table(
        title="Queries to the space optimum (P16, ground truth as the objective)", title_justify="left"
    )
    table.add_column("Algorithm", no_wrap=True)
    for d in datasets:
        table.add_column(f"{SHORT.get(d, d)} queries (reached)", justify="right")
    rows: dict[tuple[str, str], dict[str, SearchCell]] = {}
    for c in cells:
        rows.setdefault((c.strategy, c.proxy), {})[c.dataset] = c
    for by_ds in rows.values():
        first = next(iter(by_ds.values()))
        out = [row_label(first)]
        for d in datasets:
            c = by_ds.get(d)
            if c is None:
                out.append("")
            else:
                mean = "—" if c.steps_to_optimum.mean is None else f"{c.steps_to_optimum.mean:.1f}"
                out.append(f"{mean} ({c.reached_optimum}/{len(c.repeats)})")
        table.add_row(*out)
    return table


def _target(o) -> str:
    ep = f"@{o.epochs}ep" if o.epochs is not None else ""
    return f"{o.dataset}/{o.split}{ep}({o.seed_aggregation})"


def render_search(result: SearchResult, console: Console) -> None:
    parts: list = [search_table(result)]
    queries = query_table(result)
    if queries is not None:
        parts.append(queries)
    targets = dict.fromkeys(
        f"{c.dataset}: target {_target(c.target)} ({c.target.oracle})" for c in result.cells
    )
    notes = [
        "cost: strategy time + stored compute time of every score used (a cold store); "
        "rank: 1 = best of the space by the target",
        *targets,
    ]
    if any(c.uses_ground_truth for c in result.cells):
        notes.append("⚠GT: searched with ground truth as the score (an upper bound, not a zero-cost result)")
    console.print(Group(*parts, Text("\n".join(notes), style="dim")))
