"""``nash submit --verify``: check a submission against our own truth and re-score a sample of it.

``load_submission`` only proves that a file is intact and consistent with itself; whoever edits
a submission can recompute its checksum and its ρ. Verification therefore trusts nothing the
file says about truth or about its own scores:

* the suite is one installed here, with the same id;
* the architectures are the suite's sample, and every target is looked up again in the suite's
  oracle (never the file's);
* ρ, τ and their bootstrap CIs are recomputed from the file's scores and our targets, with the
  installed proxy's orientation, and must equal what the file states (a standard suite's rows:
  per-dataset ρ and τ and the headline mean too);
* the proxy's distribution installed here hashes like the submitted one, and every plugin the
  suite used is installed at the submitted version;
* a seeded random sample of the submitted (dataset, architecture) pairs is scored again here
  (with the sandbox where it is available) and must agree with the file within the proxy's
  ``score_tolerance`` (a relative tolerance, default 1e-6; or ``{"rtol": .., "atol": ..}``).

A verification that passes writes ``<submission>.verified.json`` beside the file, naming the
submission's checksum; ``nash leaderboard`` marks rows without a matching record as unverified.
"""

from __future__ import annotations

import json
import math
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .api import HarnessError, Needs
from .api.suites import CrossSpaceSuite
from .benchmark_stats import benchmark_rhos, counts_constant_as_zero, headline_of, ranks_nothing
from .checksum import check_seal, checksum_of
from .host import PluginHost

DEFAULT_SPOT_CHECK = 20
DEFAULT_RTOL = 1e-6
STAT_TOLERANCE = 1e-9  # stated vs recomputed ρ, τ and CI ends (same code, same data)
RECORD_SUFFIX = ".verified.json"


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


@dataclass
class Verification:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    spot_seed: int | None = None
    checksum: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    def add(self, check: str, ok: bool, detail: str) -> None:
        self.findings.append(Finding(check, ok, detail))

    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    def as_dict(self) -> dict[str, Any]:
        return {
            "submission": str(self.path),
            "submission_checksum": self.checksum,
            "passed": self.passed,
            "spot_seed": self.spot_seed,
            "harness": __version__,
            "findings": [f.__dict__ for f in self.findings],
        }


# --------------------------------------------------------------------------- tolerance


def score_tolerance(proxy_cls: Any) -> tuple[float, float]:
    """(rtol, atol) a proxy declares for re-scoring (``Proxy.score_tolerance``, default rtol 1e-6)."""
    declared = getattr(proxy_cls, "score_tolerance", None)
    if declared is None:
        return DEFAULT_RTOL, 0.0
    if isinstance(declared, (int, float)):
        return float(declared), 0.0
    if isinstance(declared, dict) and set(declared) <= {"rtol", "atol"}:
        return float(declared.get("rtol", DEFAULT_RTOL)), float(declared.get("atol", 0.0))
    raise HarnessError(
        f"proxy {getattr(proxy_cls, 'name', proxy_cls)!r}: score_tolerance must be a number "
        f"(relative) or {{'rtol': .., 'atol': ..}}, got {declared!r}"
    )


def same_score(a: float | None, b: float | None, rtol: float, atol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


# --------------------------------------------------------------------------- the suite's runs


def _suite_configs(
    sub, proxy_ref: dict[str, Any], data: Path | None
) -> tuple[str, dict[str, dict[str, Any]]]:
    """(installed suite id, dataset → the run config the suite defines for the submitted proxy)."""
    from .suite_run import run_overrides
    from .suites import catalog

    name = sub.suite.name
    suites = catalog(PluginHost.discover())
    by_version = sub.suite.id.split("+", 1)[0]  # name@version of a versioned suite
    if sub.suite.kind == "versioned" and by_version in suites.versioned:
        name = by_version
    if name in suites.versioned and isinstance(suites.versioned[name], CrossSpaceSuite):
        suite = suites.versioned[name]
        if data is not None:
            raise HarnessError(
                f"--data: suite {suite.id} pins its images in the shared data folder; set $NASH_SHARED_DIR instead"
            )
        return suite.id, {c: suite.run_config(c, [proxy_ref]) for c in suite.columns()}
    if name in suites.versioned:
        suite = suites.versioned[name]
        configs = {d: suite.run_config(d, [proxy_ref]) for d in suite.datasets}
        if data is not None:
            for cfg in configs.values():
                cfg["input"] = {**cfg["input"], "path": str(data)}
        return suite.id, configs
    if name in suites.presets:
        from .config import merge

        preset = suites.presets[name]
        cfg = merge(preset.definition(), {"proxies": [proxy_ref], **run_overrides(None, None, data)})
        if "dataset" not in cfg:
            raise HarnessError(
                f"submission suite {name!r}: its preset names no dataset, so the run it defines "
                "cannot be matched to the submission's columns"
            )
        return preset.id, {cfg["dataset"]: cfg}
    raise HarnessError(
        f"submission suite {name!r} is not a suite of this harness (known: "
        f"{', '.join(suites.run_suite_names()) or 'none'})"
    )


def _fields(signature: str) -> dict[str, str]:
    return dict(p.split(":", 1) for p in signature.split("|") if ":" in p)


# --------------------------------------------------------------------------- verification


def verify_submission(
    path: Path,
    *,
    spot_check: int = DEFAULT_SPOT_CHECK,
    spot_seed: int | None = None,
    data: Path | None = None,
    threads: int | None = None,
    executor: str = "local",
    host: PluginHost | None = None,
    notify: Callable[[str], None] | None = None,
) -> Verification:
    """Every check of the module docstring; a ``Verification`` listing each with its reason."""
    from .config import validate_run_config
    from .protocols.correlation import oracle_coverage, oriented, select_archs
    from .resolve import resolve
    from .stats import rank_correlation
    from .submission import installed_match, load_submission

    say = notify or (lambda _m: None)
    path = Path(path)
    sub = load_submission(path)  # checksum, schema, stated ρ vs the file's own scores
    out = Verification(path, checksum=sub.checksum)
    out.add("intact", True, "checksum matches; every stated ρ follows from the file's own scores")
    host = host or PluginHost.discover()

    # -- installed code
    same, text = installed_match(sub)
    out.add("distribution", same is True, text)
    try:
        info = host.get("proxy", sub.proxy.name)
    except HarnessError as exc:
        out.add("plugins", False, str(exc))
        return out
    wrong = []
    for p in sub.plugins:
        try:
            installed = host.get(p.kind, p.name)
        except HarnessError:
            wrong.append(f"{p.kind} {p.name} not installed")
            continue
        if str(installed.version) != p.version or installed.dist_version != p.distribution_version:
            wrong.append(
                f"{p.kind} {p.name}: submitted {p.version} ({p.distribution} {p.distribution_version}), "
                f"installed {installed.version} ({installed.distribution} {installed.dist_version})"
            )
    out.add(
        "plugins",
        not wrong,
        "; ".join(wrong) or f"{len(sub.plugins)} plugins installed at the submitted versions",
    )
    if bool(info.higher_is_better) != sub.proxy.higher_is_better:
        out.add(
            "orientation",
            False,
            f"the file says higher_is_better={sub.proxy.higher_is_better}, the installed "
            f"proxy {info.higher_is_better}",
        )

    # -- the suite and our truth
    proxy_ref = {"name": sub.proxy.name, "config": dict(sub.proxy.config)}
    try:
        suite_id, configs = _suite_configs(sub, proxy_ref, data)
    except HarnessError as exc:
        out.add("suite", False, str(exc))
        return out
    if suite_id != sub.suite.id:
        out.add("suite", False, f"the file ran suite {sub.suite.id}, this harness defines {suite_id}")
        return out
    out.add("suite", True, f"suite {suite_id} as defined here")

    runs, columns = sub.run_results(), sub.score_columns()
    hib = bool(info.higher_is_better)
    stated_rows = {}
    if sub.protocol == "standard":
        stated_rows = {r.proxy: r for r in sub.standard_result().rows}
    recomputed_rho: dict[str, float] = {}
    constant: list[str] = []  # columns where the proxy's scores are all equal (it ranks nothing)
    resolved_by_dataset = {}
    for run, cols in zip(runs, columns):
        cfg = configs.get(cols.dataset)
        if cfg is None:
            out.add(f"{cols.dataset}: suite", False, f"dataset {cols.dataset!r} is not one of the suite's")
            continue
        config = validate_run_config(cfg)
        resolved = resolve(config, host)
        resolved_by_dataset[cols.dataset] = (cfg, resolved)
        # drawn as the run drew them: from the oracle's coverage where it is partial (NB101, NB301)
        archs = select_archs(
            resolved.space, config.sample, oracle_coverage(resolved.oracle, config.dataset, resolved.space)
        )
        if list(cols.archs) != list(archs):
            out.add(
                f"{cols.dataset}: architectures",
                False,
                f"the file's {len(cols.archs)} architectures are not the suite's sample of {len(archs)}",
            )
            continue
        mine = next((r for r in run.results if r.proxy == sub.proxy.name), None)
        if mine is not None:
            _check_applicability(
                out, cols.dataset, mine.not_applicable, config, resolved, sub.proxy.name, host
            )
        truth = np.asarray(resolved.oracle.query(archs, config.dataset), dtype=float)
        truth_up = resolved.oracle.describe(config.dataset).higher_is_better
        given = np.array([np.nan if v is None else v for v in cols.target], dtype=float)
        differ = int(
            np.sum(~((np.isnan(truth) & np.isnan(given)) | np.isclose(truth, given, rtol=1e-9, atol=0)))
        )
        out.add(
            f"{cols.dataset}: targets",
            differ == 0,
            f"{differ} of {len(archs)} targets differ from the suite's oracle ({resolved.oracle.name})"
            if differ
            else f"all {len(archs)} targets equal the suite's oracle ({resolved.oracle.name})",
        )
        values = cols.scores.get(sub.proxy.name) or []
        score = oriented(np.array([np.nan if v is None else v for v in values], dtype=float), hib)
        corr = rank_correlation(
            score,
            truth if truth_up else -truth,
            n_resamples=config.bootstrap,
            confidence=config.confidence,
            seed=config.sample.seed,
        )
        recomputed_rho[cols.dataset] = corr.spearman
        if ranks_nothing(score, truth if truth_up else -truth):
            constant.append(cols.dataset)
        for row in run.results:
            problems = []
            for label, stated, value, ci in (
                ("ρ", row.spearman, corr.spearman, corr.spearman_ci),
                ("τ", row.kendall, corr.kendall, corr.kendall_ci),
            ):
                if not _same_stat(stated.value, value):
                    problems.append(f"stated {label} {stated.value} ≠ recomputed {value:.6f}")
                want = (ci.low, ci.high) if ci is not None else None
                have = (stated.ci.low, stated.ci.high) if stated.ci is not None else None
                if (want is None) != (have is None) or (
                    want and not all(_same_stat(a, b) for a, b in zip(have, want))
                ):
                    problems.append(f"stated {label} CI {have} ≠ recomputed {_fmt(want)}")
            out.add(
                f"{cols.dataset}: statistics",
                not problems,
                "; ".join(problems)
                or f"ρ {corr.spearman:.4f}, τ {corr.kendall:.4f} and their CIs recomputed from the scores and our "
                "targets equal the file's",
            )
    na_of_runs = {
        cols.dataset: r.not_applicable
        for run, cols in zip(runs, columns)
        for r in run.results
        if r.proxy == sub.proxy.name and r.not_applicable
    }
    for row in stated_rows.values():
        problems = []
        if set(row.not_applicable) != set(na_of_runs):
            problems.append(
                f"not applicable on {sorted(row.not_applicable) or 'none'}, its runs say {sorted(na_of_runs) or 'none'}"
            )
        for dataset, rho in recomputed_rho.items():
            if dataset in row.not_applicable:
                continue
            if not _same_stat(row.spearman.get(dataset), rho):
                problems.append(f"{dataset} ρ {row.spearman.get(dataset)} ≠ recomputed {rho:.6f}")
        mean = float(np.mean(list(recomputed_rho.values()))) if recomputed_rho else float("nan")
        if sub.standard_result().suite.benchmarks is not None:  # cross-space: benchmarks weighted once
            suite_record = sub.standard_result().suite
            benches = suite_record.benchmarks
            of = {c: b for b, cols in benches.items() for c in cols}
            rhos = {c: (None if not math.isfinite(v) else v) for c, v in recomputed_rho.items()}
            zero = (
                [c for c in constant if rhos.get(c) is None]
                if counts_constant_as_zero(suite_record.definition)
                else []
            )
            if sorted(row.ranks_nothing or {}) != sorted(zero):
                problems.append(
                    f"ρ counted as 0 (every score equal) on {sorted(row.ranks_nothing or {}) or 'none'}, "
                    f"the scores say {zero or 'none'}"
                )
            value = headline_of(benchmark_rhos(rhos, of, list(row.not_applicable), zero))
            mean = float("nan") if value is None else value
        if recomputed_rho and not _same_stat(row.headline, mean):
            problems.append(f"headline {row.headline} ≠ recomputed mean ρ {mean:.6f}")
        out.add("suite row", not problems, "; ".join(problems) or "per-dataset ρ and the headline follow")

    # -- re-score a seeded sample
    pairs = [
        (cols.dataset, i)
        for cols in columns
        if cols.dataset in resolved_by_dataset
        for i in range(len(cols.archs))
    ]
    if spot_check > 0 and pairs:
        out.spot_seed = secrets.randbelow(2**31) if spot_seed is None else spot_seed
        rng = np.random.default_rng(out.spot_seed)
        chosen = sorted(rng.choice(len(pairs), size=min(spot_check, len(pairs)), replace=False).tolist())
        by_dataset: dict[str, list[int]] = {}
        for k in chosen:
            by_dataset.setdefault(pairs[k][0], []).append(pairs[k][1])
        say(f"re-scoring {len(chosen)} of {len(pairs)} submitted scores (seed {out.spot_seed})")
        rtol, atol = score_tolerance(info.cls)
        _spot_check(
            out, sub, columns, runs, resolved_by_dataset, by_dataset, rtol, atol, threads, executor, host
        )
    return out


def _spot_check(
    out, sub, columns, runs, resolved_by_dataset, by_dataset, rtol, atol, threads, executor, host
) -> None:
    from .config import merge
    from .runner import compute_run

    by_name = {c.dataset: (c, r) for c, r in zip(columns, runs)}
    with tempfile.TemporaryDirectory(prefix="nash-verify-") as tmp:
        for dataset, idx in by_dataset.items():
            cols, run = by_name[dataset]
            cfg, _ = resolved_by_dataset[dataset]
            archs = [cols.archs[i] for i in idx]
            spot = merge(
                cfg,
                {
                    "sample": {"mode": "list", "archs": archs, "n": len(archs)},
                    "bootstrap": 0,
                    "ceiling": "off",
                    "references": [],
                    "executor": executor,
                    **({"threads": threads} if threads else {}),
                },
            )
            outcome = compute_run(spot, store_path=Path(tmp) / "scores.sqlite", host=host)
            row = next(r for r in outcome.run.results if r.proxy == sub.proxy.name)
            mine, theirs = _fields(row.signature).get("input"), _fields(run.results[0].signature).get("input")
            if mine != theirs and row.input_kind != "none":
                out.add(
                    f"{dataset}: re-scored",
                    False,
                    f"the inputs differ (file: {theirs}, here: {mine}); run the "
                    "verification with the submission's data (--data)",
                )
                continue
            values = outcome.tables[sub.proxy.name].values
            submitted = cols.scores.get(sub.proxy.name) or [None] * len(cols.archs)
            bad = []
            for arch, i, value in zip(archs, idx, values):
                here = float(value) if np.isfinite(value) else None
                if not same_score(submitted[i], here, rtol, atol):
                    bad.append(f"{arch}: file {submitted[i]!r}, re-scored {here!r}")
            out.add(
                f"{dataset}: re-scored",
                not bad,
                (
                    f"{len(bad)} of {len(archs)} re-scored architectures differ beyond rtol {rtol:g}"
                    f"{f', atol {atol:g}' if atol else ''}: "
                    + "; ".join(bad[:3])
                    + (" …" if len(bad) > 3 else "")
                )
                if bad
                else f"{len(archs)} architectures re-scored here agree within rtol {rtol:g}",
            )


def _check_applicability(
    out: Verification, column: str, stated: str | None, config, resolved, name: str, host: PluginHost
) -> None:
    """A column the file calls "not applicable" leaves the headline: the installed proxy must say so
    too (its ``applicable(task)``, or a batch without the targets it needs), and vice versa."""
    from .inputs import load_batch
    from .scoring import ScoringSetup, expand

    job = next(j for j in expand(resolved.jobs) if j.name == name)
    reason = job.proxy.applicable(resolved.space.task(config.dataset))
    if reason is None and Needs.LABELS in job.needs:
        batch = load_batch(config.input, resolved.space.dataset(config.dataset), "cpu", host.data_sources())
        setup = ScoringSetup(space=resolved.space, dataset=config.dataset, batch=batch, input_spec=batch.spec)
        reason = setup.missing_targets(job)
    if (reason is None) != (stated is None):
        said = f"not applicable ({stated})" if stated else "applicable"
        found = f"is not ({reason})" if reason else "applies"
        out.add(f"{column}: applicability", False, f"the file says {said}; the installed proxy {found}")
    elif reason is not None:
        out.add(f"{column}: applicability", True, f"not applicable, as the installed proxy says: {reason}")


def _same_stat(stated: float | None, value: float) -> bool:
    if stated is None:
        return not math.isfinite(value)
    return math.isfinite(value) and abs(stated - value) <= STAT_TOLERANCE


def _fmt(pair) -> str:
    return "None" if pair is None else f"({pair[0]:.6f}, {pair[1]:.6f})"


# --------------------------------------------------------------------------- the record


def record_path(submission: Path) -> Path:
    return submission.with_name(submission.name + RECORD_SUFFIX)


def write_record(v: Verification) -> Path:
    """``<submission>.verified.json``: what passed, for which content (the submission's checksum)."""
    from .files import write_text

    doc = {**v.as_dict(), "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    doc["checksum"] = checksum_of(doc)
    return write_text(record_path(v.path), json.dumps(doc, indent=2) + "\n", "verification record")


def is_verified(submission: Path, checksum: str) -> bool:
    """A passing, intact verification record of exactly this submission content lies beside it."""
    rec = record_path(Path(submission))
    if not rec.is_file():
        return False
    try:
        doc = json.loads(rec.read_text())
        if not check_seal(doc, rec, "verification record"):
            return False
    except (ValueError, HarnessError):
        return False
    return doc.get("passed") is True and doc.get("submission_checksum") == checksum
