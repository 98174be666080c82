"""P1/P2: rank correlation of proxy scores with ground truth over N architectures.

Data in, data out: ``select_archs`` picks the sample, ``summarize`` turns score tables and
ground truth into typed results. The CLI wires them to the engine, store and files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from nas_harness.leaderboard.schema import (
    CI,
    Correlation,
    FailureGroup,
    ProxyResult,
    SelectionRecord,
    TopKRecord,
)

from ..api import HarnessError, Signature, Space
from ..config import SampleConfig
from ..engine import ScoreTable
from ..scoring import ProxyJob
from ..stats import rank_correlation
from .topk import argmax_selection, topk_metrics


def select_archs(space: Space, sample: SampleConfig, covered: list[str] | None = None) -> list[str]:
    """The architectures of a run, in a deterministic order (``sample.take``: the first ones).

    ``covered``: the architectures a partial oracle labels (``Oracle.coverage``); random and
    ``all`` samples then draw from them, so a run never scores architectures it cannot
    correlate. None (a full-coverage oracle) keeps the space's own sampling.
    """
    if covered is not None and sample.mode in ("random", "all"):
        pool = sorted(dict.fromkeys(covered))
        if sample.mode == "all":
            archs = pool
        else:
            if sample.n > len(pool):
                raise HarnessError(
                    f"sample.n: {sample.n} exceeds the {len(pool)} architectures the oracle labels "
                    f"for this task in space {space.name!r}; ask for at most {len(pool)}"
                )
            picks = np.random.default_rng(sample.seed).choice(len(pool), size=sample.n, replace=False)
            archs = [pool[int(i)] for i in picks]
    else:
        archs = _sample_archs(space, sample)
    return archs[: sample.take] if sample.take is not None else archs


def oracle_coverage(oracle, task: str, space: Space) -> list[str] | None:
    """The oracle's labelled architectures for ``task``; None when it labels the whole space
    (then the space's own sampling is used, so full-coverage runs keep their samples)."""
    try:
        covered = oracle.coverage(task)
    except NotImplementedError:
        return None
    size = space.size()
    if covered is None or (size is not None and len(set(covered)) >= size):
        return None
    return covered


def check_covered(
    archs: list[str], covered: list[str] | None, oracle: str, task: str, source: str = ""
) -> None:
    """A ``HarnessError`` naming the architectures a partial oracle does not label (asked for
    by a listed sample) and where its labels come from: a run never scores what it cannot
    correlate."""
    if covered is None:
        return
    known = set(covered)
    missing = [a for a in archs if a not in known]
    if missing:
        where = f"oracle {oracle!r} ({source})" if source else f"oracle {oracle!r}"
        shown = ", ".join(missing[:5]) + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else "")
        none = len(missing) == len(archs)
        what = f"no ground truth (NaN) for any of the {len(archs)} sampled architectures" if none else ""
        raise HarnessError(
            f"{where}: {what + '; ' if what else ''}it labels {len(known)} architectures for task {task!r}; "
            f"not labelled: {shown}. Sample from its coverage (sample.mode random or all) or list labelled ones"
        )


def _sample_archs(space: Space, sample: SampleConfig) -> list[str]:
    size = space.size()
    if sample.mode == "list":
        if not sample.archs:
            raise HarnessError("sample.archs: mode 'list' needs a non-empty list of archs or indices")
        out = []
        for i, item in enumerate(sample.archs):
            try:
                out.append(space.arch(item) if isinstance(item, int) else space.parse(item))
            except (HarnessError, IndexError, ValueError) as exc:
                raise HarnessError(f"sample.archs[{i}]: {exc}") from None
        return list(dict.fromkeys(out))
    if sample.mode == "all" or (sample.mode == "first_n"):
        if size is None:
            raise HarnessError(f"sample.mode {sample.mode!r}: space {space.name!r} is not enumerable")
        n = size if sample.mode == "all" else min(sample.n, size)
        return [space.arch(i) for i in range(n)]
    if size is not None and sample.n > size:
        raise HarnessError(f"sample.n: {sample.n} exceeds the size of space {space.name!r} ({size})")
    return space.sample(sample.n, np.random.default_rng(sample.seed))


def summarize(
    job: ProxyJob,
    distribution: str,
    table: ScoreTable,
    truth: np.ndarray,
    *,
    sig: Signature,
    input_kind: str,
    input_fallback: bool,
    n_resamples: int,
    confidence: float,
    seed: int,
    top_fraction: float = 0.1,
    tie_policy: str = "first_index",
    tie_keys: Callable[[np.ndarray], np.ndarray] | None = None,
    target_sign: float = 1.0,
) -> ProxyResult:
    """Correlations of one proxy's scores with the target, failures counted, not hidden.

    Scores are oriented (larger = better) first, so a good proxy has a positive ρ whatever
    its native sign; the signed value is stored and the leaderboard offers |ρ| as a view.
    """
    return summarize_values(
        name=job.name,
        version=str(job.proxy.version),
        distribution=distribution,
        higher_is_better=bool(job.proxy.higher_is_better),
        config=job.proxy.config.model_dump(mode="json"),
        table=table,
        truth=truth,
        needs_data=job.needs_data,
        sig=sig,
        input_kind=input_kind,
        input_fallback=input_fallback,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
        top_fraction=top_fraction,
        tie_policy=tie_policy,
        tie_keys=tie_keys,
        target_sign=target_sign,
    )


def summarize_values(
    *,
    name: str,
    version: str,
    distribution: str,
    higher_is_better: bool,
    config: dict,
    table: ScoreTable,
    truth: np.ndarray,
    needs_data: bool,
    sig: Signature,
    input_kind: str,
    input_fallback: bool,
    n_resamples: int,
    confidence: float,
    seed: int,
    top_fraction: float = 0.1,
    tie_policy: str = "first_index",
    reference: str | None = None,
    tie_keys: Callable[[np.ndarray], np.ndarray] | None = None,
    target_sign: float = 1.0,
) -> ProxyResult:
    """``summarize`` for any column of scores (a proxy's, or a reference's such as an oracle).

    ``truth`` is oriented (larger = better): a lower-is-better metric arrives negated, with
    ``target_sign = -1``, which turns the recorded argmax targets back into the metric's values."""
    scores = oriented(table.values, higher_is_better)
    failures = table.failures
    reasons = Counter(_reason_kind(r) for r in failures.values())
    by_reason: dict[str, list[str]] = {}
    for arch, why in failures.items():
        by_reason.setdefault(why or "unknown", []).append(arch)
    corr = rank_correlation(scores, truth, n_resamples=n_resamples, confidence=confidence, seed=seed)

    def as_corr(value: float, ci) -> Correlation:
        value = None if not np.isfinite(value) else float(value)
        return Correlation(value=value, ci=CI(low=ci.low, high=ci.high) if ci else None)

    topk = selection = None
    if np.isfinite(scores).any() and np.isfinite(truth).any():
        t = topk_metrics(scores, truth, top_fraction)
        topk = TopKRecord(
            fraction=t.fraction,
            k=t.k,
            retrieval=t.retrieval,
            precision_at_k=t.precision_at_k,
            spearman_in_top=_finite_or_none(t.spearman_in_top),
            kendall_in_top=_finite_or_none(t.kendall_in_top),
            best_rank_in_top=t.best_rank_in_top,
        )
        # tie_keys(positions) -> oriented (n, k) keys that break float ties at the argmax
        sel = argmax_selection(scores, truth, tie_policy, seed, refine=tie_keys)  # type: ignore[arg-type]
        low, high = sorted((target_sign * sel.tied_truth_min, target_sign * sel.tied_truth_max))
        selection = SelectionRecord(
            arch=table.archs[sel.chosen],
            target=target_sign * sel.chosen_truth,
            rank=sel.chosen_rank,
            policy=sel.policy,
            tied=len(sel.tied),
            tied_target_min=low,
            tied_target_mean=target_sign * sel.tied_truth_mean,
            tied_target_max=high,
        )

    return ProxyResult(
        proxy=name,
        version=version,
        distribution=distribution,
        higher_is_better=higher_is_better,
        config=config,
        signature=sig.render(),
        signature_fields=sig,
        n=len(table.archs),
        n_used=corr.n,
        n_failed=len(failures),
        failure_reasons=dict(reasons),
        failures=[
            FailureGroup(reason=why, archs=archs)
            for why, archs in sorted(by_reason.items(), key=lambda kv: -len(kv[1]))
        ],
        spearman=as_corr(corr.spearman, corr.spearman_ci),
        kendall=as_corr(corr.kendall, corr.kendall_ci),
        topk=topk,
        selection=selection,
        time_per_arch_s=table.mean_time(),
        computed=table.computed,
        input_kind=input_kind if needs_data else "none",
        input_fallback=input_fallback and needs_data,
        reference=reference,
        not_applicable=table.not_applicable,
    )


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def oriented(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Scores turned so that larger means better (needed before voting or ranking)."""
    return values if higher_is_better else -values


def _reason_kind(reason: str) -> str:
    """Group failure reasons by their first words (exception type / 'non-finite score')."""
    head = reason.split(":", 1)[0].strip()
    return head or "unknown"
