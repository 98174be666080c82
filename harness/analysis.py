"""Analyses of a finished run from its files (results JSON + scores CSV): P14 and friends."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nas_harness.leaderboard.schema import RunResult, ScoreCorrelationRecord

from .api import HarnessError
from .host import PluginHost
from .protocols.scorecorr import score_correlations


def load_scores(results_path: Path, run: RunResult):
    """The run's scores CSV (named in the results, beside the JSON) as a DataFrame."""
    import pandas as pd

    if not run.scores_file:
        raise HarnessError(f"{results_path}: names no scores file")
    path = Path(results_path).parent / run.scores_file
    if not path.is_file():
        raise HarnessError(f"{results_path}: its scores file {path} is not there")
    return pd.read_csv(path)


def scores_of(source: str, run: RunResult, carried: dict | None = None):
    """A run's per-arch scores: those its file carried (a submission's ``ScoreColumns``), else
    the scores CSV beside its results JSON (``load_scores``)."""
    import pandas as pd

    columns = (carried or {}).get(source)
    if columns:
        c = columns[0]
        data = {"arch": c.archs, "target": [float("nan") if v is None else v for v in c.target]}
        data.update({k: [float("nan") if v is None else v for v in vals] for k, vals in c.scores.items()})
        return pd.DataFrame(data)
    return load_scores(Path(source), run)


def score_correlations_of(
    results_path: Path, run: RunResult, *, with_cost: bool = True
) -> ScoreCorrelationRecord:
    """P14 from the files: oriented proxy columns, params/flops from the space (unless a proxy
    of that name ran, or ``with_cost`` is off), and the target."""
    frame = load_scores(results_path, run)
    columns: dict[str, np.ndarray] = {}
    for res in run.results:
        if res.proxy in frame:
            values = frame[res.proxy].to_numpy(dtype=float)
            columns[res.proxy] = values if res.higher_is_better else -values
    space_ref = run.config.get("space") or {}
    if with_cost and space_ref.get(
        "name"
    ):  # every results file names its space; older hand-made ones may not
        try:
            host = PluginHost.discover()
            info = host.get("space", space_ref["name"])
            space = info.cls(info.cls.Config(**(space_ref.get("config") or {})))
            costs = [space.cost(a, run.config.get("dataset", "")) for a in frame["arch"]]
            for name in ("params", "flops"):
                if name not in columns:
                    columns[name] = np.array([getattr(c, name) for c in costs], dtype=float)
        except (NotImplementedError, HarnessError):
            pass
    columns["target"] = frame["target"].to_numpy(dtype=float)
    return score_correlations(
        columns,
        note="scores oriented (larger = better); params/flops from the space's analytic cost "
        "where no proxy of that name ran; target = the run's ground truth",
    )


def leaderboard_marks(
    runs: list[tuple[str, RunResult]],
    *,
    metric: str = "spearman",
    use_abs: bool = False,
    n_resamples: int = 1000,
    seed: int = 0,
    carried: dict | None = None,
) -> dict[str, dict[str, str]]:
    """Significance marks for every comparable group whose rows' scores files can be read
    (or whose files carry their scores: ``carried``, source → ``ScoreColumns``):
    group signature → {"source::proxy": mark}, in the order the leaderboard ranks them.

    Rows of different results files are compared on the architectures both scored (the same
    signature means the same sample). With ``use_abs`` a proxy with negative ρ is turned
    around first, so the test is about |ρ|. Only the Spearman view is tested.
    """
    import pandas as pd

    from nas_harness.leaderboard.render import group_rows, marks, ranked

    from .protocols.compare import compare_in_order

    if metric != "spearman":
        return {}
    frames: dict[str, object] = {}
    for source, run in runs:
        try:
            frames[source] = scores_of(source, run, carried).set_index("arch")
        except (HarnessError, OSError, KeyError, ValueError):
            continue
    out: dict[str, dict[str, str]] = {}
    for sig, rows in group_rows(runs).items():
        order = ranked(rows, metric, use_abs)
        if len(order) < 2 or any(r.source not in frames for r in order):
            continue
        archs = frames[order[0].source].index
        truth = frames[order[0].source]["target"].to_numpy(dtype=float)
        scores = {}
        for r in order:
            col = (
                frames[r.source][r.result.proxy].reindex(archs).to_numpy(dtype=float)
                if r.result.proxy in frames[r.source]
                else np.full(len(archs), np.nan)
            )
            col = col if r.result.higher_is_better else -col
            if use_abs and r.result.spearman.value is not None and r.result.spearman.value < 0:
                col = -col
            scores[f"{r.source}::{r.result.proxy}"] = col
        if not isinstance(archs, pd.Index):
            continue
        records = compare_in_order(list(scores), scores, truth, n_resamples=n_resamples, seed=seed)
        out[sig] = marks(records)
    return out


def suite_marks(
    groups: dict[str, list], *, n_resamples: int = 1000, seed: int = 0
) -> dict[str, dict[str, str]]:
    """Significance marks for suite leaderboard groups (``standard_render.group_suite_rows``):
    paired bootstrap of the mean-ρ difference over the suite's datasets, on the architectures
    both rows scored (rows of one group share the sample; other files are aligned by arch)."""
    from nas_harness.leaderboard.render import marks
    from nas_harness.leaderboard.standard_render import ranked_suite

    from .protocols.compare import compare_mean_in_order

    out: dict[str, dict[str, str]] = {}
    for key, rows in groups.items():
        order = ranked_suite(rows)
        if len(order) < 2:
            continue
        ref = order[0].result
        if ref.suite.benchmarks is not None:
            out[key] = marks(_cross_records(order))
            continue
        datasets = [c.dataset for c in ref.scores]
        truths = [np.array([np.nan if v is None else v for v in c.target], dtype=float) for c in ref.scores]
        scores: dict[str, list[np.ndarray]] = {}
        for r in order:
            columns = {c.dataset: c for c in r.result.scores}
            per = []
            for d, base in zip(datasets, ref.scores):
                col = columns.get(d)
                values = col.scores.get(r.row.proxy) if col is not None else None
                if values is None:
                    per.append(np.full(len(base.archs), np.nan))
                    continue
                by_arch = dict(zip(col.archs, values))
                arr = np.array(
                    [np.nan if by_arch.get(a) is None else by_arch[a] for a in base.archs], dtype=float
                )
                per.append(arr if r.row.higher_is_better else -arr)
            scores[r.ident] = per
        pinned = ref.suite.definition
        records = compare_mean_in_order(
            [r.ident for r in order],
            scores,
            truths,
            n_resamples=int(pinned.get("bootstrap", n_resamples)),
            confidence=float(pinned.get("confidence", 0.95)),
            seed=seed,
        )
        out[key] = marks(records)
    return out


def _cross_records(order: list) -> list:
    """Paired comparisons of a cross-space group (best first): each row against the row above and
    the top, on the headline (``benchmark_stats.BenchmarkBootstrap``; rows aligned by architecture
    on the first row's samples)."""
    from .cross_suite import bootstrap_for, proxy_arrays
    from .protocols.compare import comparison_record

    ref = order[0].result
    benches = ref.suite.benchmarks
    boot = bootstrap_for(ref.suite.definition, benches, ref.scores)
    arrays = {}
    for r in order:
        columns = {c.dataset: c for c in r.result.scores}
        aligned = []
        for base in ref.scores:
            col = columns.get(base.dataset)
            values = col.scores.get(r.row.proxy) if col is not None else None
            by_arch = dict(zip(col.archs, values)) if values is not None else {}
            aligned.append(
                base.model_copy(update={"scores": {r.row.proxy: [by_arch.get(a) for a in base.archs]}})
            )
        arrays[r.ident] = proxy_arrays(
            r.row.proxy, r.row.higher_is_better, benches, aligned, r.row.not_applicable
        )
    method = "paired bootstrap of the difference of the cross-space headline (architectures resampled per benchmark)"
    out = []
    for i, r in enumerate(order[1:], start=1):
        pairs = [(order[i - 1], "above")] + ([(order[0], "top")] if i > 1 else [])
        for other, relation in pairs:
            test = boot.test(arrays[r.ident], arrays[other.ident])
            record = comparison_record(r.ident, other.ident, relation, test)
            out.append(record.model_copy(update={"method": method}))
    return out
