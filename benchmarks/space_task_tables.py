"""Markdown tables of correlation runs over many spaces and tasks (issues 13 and 14), from result JSONs.

The numbers in docs/results.md's "Every space and task" section are this script's output: it
reads every ``correlation-*.json`` under the given folders (a run's ``--out`` folder or a folder
of them), and prints

* an overview (target, n, input, noise ceiling, wall time) per space × task,
* Spearman ρ with its bootstrap CI, then Kendall τ and top-10 % retrieval, per proxy,
* the time per architecture of each proxy (as recorded when each score was computed),
* with ``--nbsz``, Spearman ρ between our scores and NAS-Bench-Suite-Zero's published ones where
  the run's oracle file carries them (NB101's nbsz500, NB301, TransNAS),
* with ``--paper``, paper | ours | Δ for every reproduction a space plugin contributes whose
  columns match a run here (the plan of the reproduction says which space, config and task a
  column is; the paper's values come from the plugin's ``paper_values``).

    python benchmarks/space_task_tables.py RUNS_DIR --nbsz --paper > tables.md
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nas_harness.api.suites import PaperTable, Reproduction, ReproOptions
from nas_harness.leaderboard.schema import ProxyResult, RunResult, load_results

PROXIES = ("sed", "params", "synflow", "naswot")
# the order spaces are listed in (others follow, by name)
SPACE_ORDER = (
    "nats_sss",
    "nb101",
    "nasbench_macro",
    "channel_bench_macro",
    "nbmr",
    "darts",
    "tnb101_micro",
    "tnb101_macro",
)


@dataclass(frozen=True)
class Run:
    """One correlation run: which space (and config) and task it covers, and its result."""

    path: Path
    space: str
    space_config: tuple[tuple[str, str], ...]
    task: str
    result: RunResult

    @property
    def label(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.space_config)
        return f"{self.space}({extra})" if extra else self.space

    def proxy(self, name: str) -> ProxyResult | None:
        return next((r for r in self.result.results if r.proxy == name), None)


def _space_key(space: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    if isinstance(space, str):
        return space, ()
    config = space.get("config") or {}
    return space["name"], tuple(sorted((str(k), str(v)) for k, v in config.items()))


def load_runs(folders: Iterable[Path]) -> list[Run]:
    """Every correlation result under ``folders`` (recursively), in space order then task."""
    runs = []
    for folder in folders:
        files = [folder] if folder.is_file() else sorted(folder.rglob("correlation-*.json"))
        for path in files:
            result = load_results(path)
            if result.protocol != "correlation":
                continue
            space, config = _space_key(result.config["space"])
            runs.append(Run(path, space, config, str(result.config["dataset"]), result))
    order = {name: i for i, name in enumerate(SPACE_ORDER)}
    return sorted(runs, key=lambda r: (order.get(r.space, len(order)), r.space, r.space_config, r.task))


# --------------------------------------------------------------------------- cells


def _f(x: float | None, digits: int = 2) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _why_none(res: ProxyResult | None) -> str:
    if res is None:
        return "not run"
    if res.not_applicable:
        return "n/a"
    if res.n_used == 0:
        return "all failed"
    return "ρ undefined: constant scores"


def rho_cell(res: ProxyResult | None) -> str:
    if res is None or res.spearman.value is None:
        return f"— ({_why_none(res)})"
    ci = res.spearman.ci
    text = f"{res.spearman.value:.2f}" + (f" [{ci.low:.2f}, {ci.high:.2f}]" if ci else "")
    if res.n_failed:
        text += f" ({res.n_failed} failed)"
    return text


def tau_top_cell(res: ProxyResult | None) -> str:
    if res is None or res.kendall.value is None:
        return "—"
    top = f"{res.topk.retrieval:.2f}" if res.topk else "—"
    return f"{res.kendall.value:.2f} · {top}"


def cost_cell(res: ProxyResult | None) -> str:
    if res is None or res.cost is None or res.cost.cpu_mean_s is None:
        return "—"
    return f"{res.cost.cpu_mean_s:.3g}"


def _n(run: Run) -> str:
    used = {r.n_used for r in run.result.results if not r.not_applicable}
    n = run.result.results[0].n if run.result.results else 0
    return str(n) if used <= {n} else f"{n} ({min(used)}–{max(used)} used)"


# --------------------------------------------------------------------------- tables


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def overview_table(runs: Sequence[Run]) -> str:
    rows = []
    for run in runs:
        res = run.result
        target = (
            res.results[0].signature_fields.target if res.results and res.results[0].signature_fields else ""
        )
        ceiling = res.ceiling.spearman_mean if res.ceiling else None
        rows.append(
            [
                run.label,
                run.task,
                f"{res.oracle.oracle}: {target}",
                "higher" if res.oracle.higher_is_better else "lower",
                _n(run),
                str(res.input.get("spec", res.input.get("kind", ""))),
                _f(ceiling),
                f"{res.duration_s:.0f}",
            ]
        )
    header = ["space", "task", "oracle: target", "better", "n", "input", "ceiling ρ", "wall (s)"]
    return _table(header, rows)


def proxy_table(runs: Sequence[Run], proxies: Sequence[str], cell) -> str:
    rows = [[run.label, run.task, *(cell(run.proxy(p)) for p in proxies)] for run in runs]
    return _table(["space", "task", *proxies], rows)


def cost_table(runs: Sequence[Run], proxies: Sequence[str]) -> str:
    rows = []
    for run in runs:
        size = next((r.cost.space_size for r in run.result.results if r.cost and r.cost.space_size), None)
        rates = [r.cost.cpu_mean_s for p in proxies if (r := run.proxy(p)) and r.cost and r.cost.cpu_mean_s]
        whole = f"{sum(rates) * size / 3600:.1f}" if size and len(rates) == len(proxies) else "—"
        rows.append(
            [run.label, run.task, *(cost_cell(run.proxy(p)) for p in proxies), str(size or "—"), whole]
        )
    header = ["space", "task", *(f"{p} (s/arch)" for p in proxies), "space size", "whole space (h, all)"]
    return _table(header, rows)


# --------------------------------------------------------------------------- NAS-Bench-Suite-Zero's scores

# our proxy → NAS-Bench-Suite-Zero's column (the oracle files of nb101, darts and tnb101 carry them)
NBSZ_COLUMNS = {
    "synflow": "synflow",
    "naswot": "nwot",
    "params": "params",
    "flops": "flops",
    "snip": "snip",
    "grad_norm": "grad_norm",
    "grasp": "grasp",
    "fisher": "fisher",
    "jacob_cov": "jacov",
    "l2_norm": "l2_norm",
    "epe_nas": "epe_nas",
    "plain": "plain",
    "zen": "zen",
}
NBSZ_FAILED = -1e7  # NAS-Bench-Suite-Zero writes -1e8 for a score it could not compute


def nbsz_agreement(run: Run, host: Any) -> dict[str, tuple[int, float | None]]:
    """proxy → (n matched, Spearman ρ between our score and NAS-Bench-Suite-Zero's) over the run's
    architectures that the run's oracle file also scores (matched by the space's isomorphism key;
    rows of one network averaged); proxies the file has no column for are left out."""
    import numpy as np
    import pandas as pd
    from scipy.stats import spearmanr

    oracle_ref = run.result.config.get("oracle") or {}
    if run.result.scores_file is None or oracle_ref.get("name") is None:
        return {}
    space_cls = host.get("space", run.space).cls
    space = space_cls(space_cls.Config(**dict(run.result.config["space"].get("config") or {})))
    oracle_cls = space.oracles()[oracle_ref["name"]]
    oracle = oracle_cls(oracle_cls.Config(**(oracle_ref.get("config") or {})), space=space)
    path = getattr(oracle, "path", None)
    if path is None or not Path(path).is_file():
        return {}
    frame = pd.read_csv(path, dtype=str)
    if (
        "naslib_arch" not in frame.columns
    ):  # every NAS-Bench-Suite-Zero export has it; other tables' columns are not NBSZ's
        return {}
    if "dataset" in frame.columns:
        frame = frame[frame["dataset"] == run.task]
    wanted = {p: c for p, c in NBSZ_COLUMNS.items() if c in frame.columns and run.proxy(p) is not None}
    if not wanted:
        return {}
    keys = []
    for record in frame[oracle.arch_columns()].to_dict("records"):
        try:
            keys.append(space.iso_key(oracle.row_arch(record)))
        except Exception:  # noqa: BLE001 - a row the space cannot read has no match
            keys.append(None)
    theirs = frame[list(wanted.values())].apply(pd.to_numeric, errors="coerce").assign(_key=keys)
    theirs = theirs.dropna(subset=["_key"]).groupby("_key").mean()
    ours = pd.read_csv(run.path.parent / run.result.scores_file, dtype={"arch": str})
    ours = ours.assign(_key=[space.iso_key(a) for a in ours["arch"]]).groupby("_key").first()
    out = {}
    for proxy, column in wanted.items():
        both = pd.concat([ours[proxy].rename("ours"), theirs[column].rename("nbsz")], axis=1, join="inner")
        both = both.astype(float)
        both = both[np.isfinite(both).all(axis=1) & (both["nbsz"] > NBSZ_FAILED)]
        rho = spearmanr(both["ours"], both["nbsz"])[0] if len(both) > 2 else None
        out[proxy] = (len(both), None if rho is None or not np.isfinite(rho) else float(rho))
    return out


def nbsz_table(runs: Sequence[Run]) -> str | None:
    from nas_harness.host import PluginHost

    host = PluginHost.discover()
    rows = []
    for run in runs:
        for proxy, (n, rho) in nbsz_agreement(run, host).items():
            if n == 0:  # the file has no NBSZ score for this task (e.g. TransNAS's dense tasks)
                continue
            rows.append([run.label, run.task, proxy, NBSZ_COLUMNS[proxy], str(n), _f(rho, 3)])
    return (
        _table(["space", "task", "ours", "NBSZ column", "n matched", "ρ(ours, NBSZ)"], rows) if rows else None
    )


# --------------------------------------------------------------------------- paper | ours | Δ


def _plan_keys(repro: Reproduction, options: ReproOptions) -> dict[str, tuple[str, tuple, str]]:
    """column → (space, space config, task) of the run the reproduction plans for it."""
    proxies = sorted({p for p in repro.rows.values() if p})
    keys = {}
    for plan in repro.plan(options, proxies):
        space, config = _space_key(plan.config["space"])
        keys.setdefault(plan.column, (space, config, str(plan.config["dataset"])))
    return keys


def _ours(repro: Reproduction, res: ProxyResult | None) -> float | None:
    if res is None:
        return None
    value = (res.kendall if repro.metric == "kendall" else res.spearman).value
    return None if value is None else (abs(value) if repro.use_abs else value)


def paper_table(
    repro: Reproduction, runs: Sequence[Run], options: ReproOptions, top10: PaperTable | None = None
) -> str | None:
    """paper | ours | Δ for every cell whose column's run is among ``runs`` (None: no column is);
    with ``top10`` (the same table's top-10 % values), the top-10 % retrieval beside them."""
    if repro.kind != "correlation":
        return None
    matched = {}
    for col, (space, config, task) in _plan_keys(repro, options).items():
        # the plan's space config must hold in the run's (a run also records the defaults)
        found = [r for r in runs if (r.space, r.task) == (space, task) and set(config) <= set(r.space_config)]
        if found:
            matched[col] = found[0]
    if not matched:
        return None
    rows = []
    for row, name in repro.rows.items():
        for col in repro.table.columns:
            paper = repro.table.value(row, col)
            run = matched.get(col)
            res = run.proxy(name) if run and name else None
            ours = _ours(repro, res)
            if (paper is None and ours is None) or (run is not None and res is None):
                continue  # nothing to compare, or a proxy these runs did not score
            delta = None if paper is None or ours is None else ours - paper
            ci = ""
            if res is not None and repro.metric == "spearman" and res.spearman.ci and ours is not None:
                lo, hi = res.spearman.ci.low, res.spearman.ci.high
                lo, hi = (
                    (min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))
                    if repro.use_abs and lo * hi > 0
                    else (lo, hi)
                )
                ci = f"[{lo:.2f}, {hi:.2f}]"
            status = "" if res is not None else ("no run" if run is None else "not run")
            cells = [
                row,
                name or "—",
                col,
                _f(paper),
                _f(ours) if res is not None and ours is not None else f"— ({status or _why_none(res)})",
                ci,
                _f(delta) if delta is None else f"{delta:+.2f}",
                str(res.n_used) if res is not None else "",
            ]
            if top10 is not None:
                paper_top = top10.value(row, col) if row in top10.rows else None
                ours_top = res.topk.retrieval if res is not None and res.topk and ours is not None else None
                cells += [_f(paper_top), _f(ours_top)]
            rows.append(cells)
    metric = "|ρ|" if repro.use_abs and repro.metric == "spearman" else repro.metric
    head = (
        f"**`nash reproduce {repro.name}`** — {repro.table.paper}, {repro.table.table}: {repro.table.title}"
    )
    header = ["paper row", "proxy", "column", "paper", f"ours ({metric})", "95% CI", "Δ", "n used"]
    if top10 is not None:
        header += ["paper top-10 %", "ours top-10 %"]
    return head + "\n\n" + _table(header, rows)


def space_reproductions() -> list[tuple[Reproduction, PaperTable | None]]:
    """The reproductions contributed by plugins other than NB201's (whose tables have their own
    sections in docs/results.md), each with its table's top-10 % companion (key ``KEY-top10``)."""
    from nas_harness.host import PluginHost
    from nas_harness.suites import catalog

    cat = catalog(PluginHost.discover())
    return [
        (r, cat.tables.get(f"{r.table.key}-top10"))
        for name, r in cat.reproductions.items()
        if not cat.origin[("reproduction", name)].startswith("nas_harness.spaces:nb201 ")
    ]


def render(
    runs: Sequence[Run],
    proxies: Sequence[str],
    reproductions: Sequence[tuple[Reproduction, PaperTable | None]] = (),
    nbsz: bool = False,
) -> str:
    parts = [
        "#### Runs\n\n" + overview_table(runs),
        "#### Spearman ρ [95 % bootstrap CI]\n\n" + proxy_table(runs, proxies, rho_cell),
        "#### Kendall τ · top-10 % retrieval\n\n" + proxy_table(runs, proxies, tau_top_cell),
        "#### CPU time per architecture (s, one thread; whole space: the four summed × its size)\n\n"
        + cost_table(runs, proxies),
    ]
    if nbsz:
        table = nbsz_table(runs)
        if table:
            parts.append("#### Agreement with NAS-Bench-Suite-Zero's published scores\n\n" + table)
    if reproductions:
        options = ReproOptions(bootstrap=0, ceiling=False)
        tables = [t for t in (paper_table(r, runs, options, top) for r, top in reproductions) if t]
        if tables:
            parts.append("#### Paper | ours | Δ\n\n" + "\n\n".join(tables))
    return "\n\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path, help="run output folders (searched recursively)")
    ap.add_argument("--proxies", default=",".join(PROXIES), help="comma-separated columns")
    ap.add_argument(
        "--paper", action="store_true", help="add paper | ours | Δ for the space plugins' reproductions"
    )
    ap.add_argument("--nbsz", action="store_true", help="add ρ between our scores and NAS-Bench-Suite-Zero's")
    args = ap.parse_args(argv)
    runs = load_runs(args.folders)
    repros = space_reproductions() if args.paper else []
    print(render(runs, args.proxies.split(","), repros, nbsz=args.nbsz), end="")


if __name__ == "__main__":
    main()
