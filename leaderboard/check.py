"""The CI quality gate's verdicts: a proxy's metric against a baseline (``nash check``).

A row fails when its metric falls below the baseline by more than the tolerance

    tolerance = max(floor, baseline value − lower end of the baseline's bootstrap CI)

i.e. when the new value lies below the baseline's own confidence interval and the drop is at
least the user's floor. The interval is the one already in the baseline's results (a
percentile bootstrap over architectures, ``stats.rank_correlation``), so a gate on 50
architectures tolerates about 0.1 of Spearman ρ and one on 1,000 about 0.03; the floor keeps
a large sample from failing on drifts nobody cares about. A metric without an interval
(``top_retrieval``) uses the floor alone.

Rows are matched by proxy name and by the signature's protocol part (space, target, oracle,
sample, input, init) — not by proxy version or harness version, since a CI gate exists to
compare a new version with the old one. A baseline row whose proxy ran under a different
protocol is *incomparable* (a failure: regenerate the baseline); one whose proxy did not run
is *missing* (a failure); one whose proxy now fails on every architecture is *failed*.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from nas_harness.api import HarnessError

from .schema import ProxyResult, RunResult

Metric = Literal["spearman", "kendall", "top_retrieval"]
METRICS: tuple[str, ...] = ("spearman", "kendall", "top_retrieval")
METRIC_LABEL = {"spearman": "Spearman ρ", "kendall": "Kendall τ", "top_retrieval": "top-k retrieval"}
FAILING = ("regressed", "failed", "missing", "incomparable")
# Fields of a signature that a gate compares across; proxy and harness versions may differ.
_IGNORED_FIELDS = ("proxy", "harness")


@dataclass
class CheckRow:
    proxy: str
    target: str
    status: str  # ok | improved | new | regressed | failed | missing | incomparable
    baseline: float | None = None
    baseline_ci: tuple[float, float] | None = None
    current: float | None = None
    current_ci: tuple[float, float] | None = None
    delta: float | None = None
    tolerance: float | None = None
    baseline_version: str | None = None
    current_version: str | None = None
    baseline_failed: int | None = None
    current_failed: int | None = None
    n: int | None = None
    message: str = ""

    @property
    def failing(self) -> bool:
        return self.status in FAILING


@dataclass
class CheckReport:
    metric: str
    floor: float
    rows: list[CheckRow] = field(default_factory=list)
    baseline_sources: list[str] = field(default_factory=list)
    current_sources: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not any(r.failing for r in self.rows)

    @property
    def failures(self) -> list[CheckRow]:
        return [r for r in self.rows if r.failing]

    def as_dict(self) -> dict:
        return {
            "metric": self.metric,
            "tolerance_floor": self.floor,
            "passed": self.passed,
            "baseline": self.baseline_sources,
            "current": self.current_sources,
            "rows": [asdict(r) | {"failing": r.failing} for r in self.rows],
        }


# --------------------------------------------------------------------------- comparing


def protocol_part(signature: str) -> str:
    """The signature without its proxy and harness fields: what must match for a comparison."""
    return "|".join(p for p in signature.split("|") if p.split(":", 1)[0] not in _IGNORED_FIELDS)


def _field(signature: str, name: str) -> str:
    return next((p.split(":", 1)[1] for p in signature.split("|") if p.startswith(f"{name}:")), "")


def metric_of(row: ProxyResult, metric: str) -> tuple[float | None, tuple[float, float] | None]:
    if metric == "top_retrieval":
        return (row.topk.retrieval if row.topk else None), None
    corr = getattr(row, metric)
    ci = (corr.ci.low, corr.ci.high) if corr.ci is not None else None
    return corr.value, ci


def compare(
    baseline: list[tuple[str, RunResult]],
    current: list[tuple[str, RunResult]],
    *,
    metric: str = "spearman",
    floor: float = 0.02,
    only: set[str] | None = None,
) -> CheckReport:
    """One row per baseline row (and per new proxy), with its verdict."""
    if metric not in METRICS:
        raise HarnessError(f"--metric {metric!r}: one of {', '.join(METRICS)}")
    if floor < 0:
        raise HarnessError(f"--tolerance-floor {floor}: must be ≥ 0")
    report = CheckReport(
        metric,
        floor,
        baseline_sources=sorted({s for s, _ in baseline}),
        current_sources=sorted({s for s, _ in current}),
    )
    cur_rows = [r for _, run in current for r in run.results if only is None or r.proxy in only]
    base_rows = [r for _, run in baseline for r in run.results if only is None or r.proxy in only]
    by_key = {(r.proxy, protocol_part(r.signature)): r for r in cur_rows}
    base_names = {r.proxy for r in base_rows}
    for b in base_rows:
        report.rows.append(
            _verdict(b, by_key.get((b.proxy, protocol_part(b.signature))), cur_rows, metric, floor)
        )
    seen = set()
    for c in cur_rows:
        if c.proxy not in base_names and c.proxy not in seen:
            seen.add(c.proxy)
            value, ci = metric_of(c, metric)
            report.rows.append(
                CheckRow(
                    proxy=c.proxy,
                    target=_field(c.signature, "target"),
                    status="new",
                    current=value,
                    current_ci=ci,
                    current_version=c.version,
                    current_failed=c.n_failed,
                    n=c.n,
                    message=f"{c.proxy}: no baseline (add it to the baseline to gate it)",
                )
            )
    return report


def _verdict(
    b: ProxyResult, c: ProxyResult | None, cur_rows: list[ProxyResult], metric: str, floor: float
) -> CheckRow:
    label = METRIC_LABEL[metric]
    base_value, base_ci = metric_of(b, metric)
    row = CheckRow(
        proxy=b.proxy,
        target=_field(b.signature, "target"),
        status="ok",
        baseline=base_value,
        baseline_ci=base_ci,
        baseline_version=b.version,
        baseline_failed=b.n_failed,
        n=b.n,
    )
    if c is None:
        others = [r for r in cur_rows if r.proxy == b.proxy]
        if not others:
            row.status = "missing"
            row.message = f"{b.proxy}: in the baseline but not in the results"
            return row
        row.status = "incomparable"
        row.message = (
            f"{b.proxy}: the baseline's protocol differs from this run's ({_difference(b, others[0])}); "
            "regenerate the baseline with the same suite"
        )
        return row
    value, ci = metric_of(c, metric)
    row.current, row.current_ci, row.current_version, row.current_failed = value, ci, c.version, c.n_failed
    if base_value is None:
        row.message = f"{b.proxy}: the baseline has no {label}; nothing to compare"
        return row
    low_half = base_value - base_ci[0] if base_ci is not None else 0.0
    row.tolerance = max(floor, low_half)
    why = f"baseline CI lower half-width {low_half:.3f}" if low_half >= floor else f"floor {floor:g}"
    if value is None:
        row.status = "failed"
        row.message = (
            f"{b.proxy}: no {label} any more ({c.n_failed} of {c.n} architectures failed); "
            f"baseline {base_value:.3f}"
        )
        return row
    row.delta = value - base_value
    if value < base_value - row.tolerance:
        row.status = "regressed"
        row.message = (
            f"{b.proxy}: {label} fell from {base_value:.3f} to {value:.3f} (Δ {row.delta:+.3f}), "
            f"more than the tolerance {row.tolerance:.3f} ({why})"
        )
    elif value > base_value + row.tolerance:
        row.status = "improved"
        row.message = f"{b.proxy}: {label} rose from {base_value:.3f} to {value:.3f} (Δ {row.delta:+.3f})"
    else:
        row.message = (
            f"{b.proxy}: {label} {value:.3f} vs baseline {base_value:.3f} (Δ {row.delta:+.3f}, "
            f"tolerance {row.tolerance:.3f})"
        )
    return row


def _difference(b: ProxyResult, c: ProxyResult) -> str:
    base = dict(p.split(":", 1) for p in protocol_part(b.signature).split("|") if ":" in p)
    cur = dict(p.split(":", 1) for p in protocol_part(c.signature).split("|") if ":" in p)
    diffs = [
        f"{k}: {base.get(k)!s} vs {cur.get(k)!s}" for k in sorted({*base, *cur}) if base.get(k) != cur.get(k)
    ]
    return "; ".join(diffs) or "signatures differ"
