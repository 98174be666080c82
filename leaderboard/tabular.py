"""Leaderboard rows as one flat pandas DataFrame (``nash leaderboard --csv``): one row per ranked
proxy of every comparable group, correlation runs and suite results alike, so results load into
pandas (or a spreadsheet) without parsing the JSON formats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .render import group_rows, ranked, top_reasons
from .schema import RunResult
from .standard_render import group_suite_rows, ranked_suite, suite_rows
from .standard_schema import StandardResult

if TYPE_CHECKING:
    import pandas as pd


def _reason(result) -> str:
    reasons, _ = top_reasons(result, 1)
    return reasons[0][1] if reasons else ""


def run_records(
    runs: list[tuple[str, RunResult]], metric: str = "spearman", use_abs: bool = False
) -> list[dict[str, Any]]:
    out = []
    for sig, rows in group_rows(runs).items():
        for rank, row in enumerate(ranked(rows, metric, use_abs), start=1):
            r = row.result
            out.append(
                {
                    "kind": "run",
                    "group": sig,
                    "rank": rank,
                    "source": row.source,
                    "proxy": r.proxy,
                    "version": r.version,
                    "spearman": r.spearman.value,
                    "spearman_low": r.spearman.ci.low if r.spearman.ci else None,
                    "spearman_high": r.spearman.ci.high if r.spearman.ci else None,
                    "kendall": r.kendall.value,
                    "kendall_low": r.kendall.ci.low if r.kendall.ci else None,
                    "kendall_high": r.kendall.ci.high if r.kendall.ci else None,
                    "top_retrieval": r.topk.retrieval if r.topk else None,
                    "n": r.n,
                    "n_used": r.n_used,
                    "n_failed": r.n_failed,
                    "top_failure": _reason(r),
                    "time_per_arch_s": r.time_per_arch_s,
                    "input": r.input_kind,
                    "input_fallback": r.input_fallback,
                    "signature": r.signature,
                }
            )
    return out


def suite_records(suites: list[tuple[str, StandardResult]]) -> list[dict[str, Any]]:
    out = []
    for key, rows in group_suite_rows(suite_rows(suites)).items():
        for rank, r in enumerate(ranked_suite(rows), start=1):
            row = r.row
            tops = [v for v in row.top_retrieval.values() if v is not None]
            record = {
                "kind": "suite",
                "group": key,
                "rank": rank,
                "source": r.source,
                "proxy": row.proxy,
                "version": row.version,
                "suite": r.result.suite.id,
                "headline": row.headline,
            }
            if row.benchmarks is not None:  # cross-space: per benchmark, the CI, and n/a never as a number
                low, high = row.headline_ci or (None, None)
                record.update({"headline_low": low, "headline_high": high})
                record.update({f"benchmark_{b}": row.benchmarks.get(b) for b in r.result.suite.benchmarks})
                record.update({f"top_{b}": v for b, v in (row.top_benchmarks or {}).items()})
                record["not_applicable"] = "; ".join(f"{c}: {why}" for c, why in row.not_applicable.items())
                record["ranks_nothing"] = "; ".join(row.ranks_nothing or {})
            record.update({f"spearman_{d}": v for d, v in row.spearman.items()})
            record.update({f"kendall_{d}": v for d, v in row.kendall.items()})
            record.update(
                {
                    "top_retrieval": sum(tops) / len(tops) if tops else None,
                    "n": row.n,
                    "n_failed": sum(row.n_failed.values()),
                    "time_per_arch_s": row.time_per_arch_s,
                    "search_accuracy": row.search_accuracy.mean if row.search_accuracy else None,
                    "input_fallback": row.input_fallback,
                }
            )
            out.append(record)
    return out


def leaderboard_frame(
    runs: list[tuple[str, RunResult]],
    suites: list[tuple[str, StandardResult]] | None = None,
    metric: str = "spearman",
    use_abs: bool = False,
) -> pd.DataFrame:
    """Suite rows first, then run rows; columns a kind does not have are empty."""
    import pandas as pd

    return pd.DataFrame([*suite_records(suites or []), *run_records(runs, metric, use_abs)])


def results_frame(*paths: str) -> pd.DataFrame:
    """The leaderboard rows of the results under ``paths`` (files or folders), as ``nash leaderboard --csv``."""
    from pathlib import Path

    from nas_harness.collection import collect

    col = collect([Path(p) for p in paths], kinds=("correlation", "standard", "submission"))
    return leaderboard_frame(col.loose_runs(), col.suites)
