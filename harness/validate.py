"""Conformance checks of any installed proxy (``nash validate PROXY``).

Each check ends ``pass``, ``warn`` (worth a look, not a defect), ``fail`` or ``skip`` (with
why). Every score is computed the way a run computes it (``engine.score_arch``: the seeded
model factory, the run's init, the input batch), in this process.

* **metadata**: name, a non-empty ``version``, a bool ``higher_is_better``, valid ``needs``, a
  ``summary`` or docstring, a ``Config`` that builds with its defaults and serialises to JSON,
  a known distribution with a version.
* **orientation**: is ``higher_is_better`` consistent with a sanity case? The generic sanity
  case of a space with an oracle: draw a seeded sample (``--sanity-pool``, default 100) of the
  space, look up its ground truth, and score the ``k`` worst and ``k`` best of it (default 5
  each). On NB201 (default oracle, seed 0) that is cells from chance level (an all-``none``
  path to the output: ≈10 %) to ≈72 % against cells at 90–91 % CIFAR-10 validation accuracy, a
  gap any proxy that claims to track accuracy must see. The statistic is the concordance of the oriented scores over the
  k × k (good, bad) pairs (ties count ½). ≥ 0.7 passes; ≤ 0.3 fails (the proxy ranks the
  worst cells above the best: its ``higher_is_better`` is most likely inverted); in between,
  or with fewer than 4 usable pairs (failures are left out), it warns — a proxy may measure
  something else than accuracy and still be useful, so an ambiguous case is not a defect.
* **determinism**: the same architecture scored again, by a fresh proxy instance in a fresh
  context, gives the same value (exactly: pass; within 1e-6 relative: warn; else fail). For
  a topology-only proxy with a vectorised ``score_topologies``, the vectorised values must
  equal the per-architecture ones.
* **ground truth**: nothing the proxy is handed reaches an oracle, and it never asks one.
  (a) The objects reachable from the ``ScoreContext`` (fields, containers, closures, bound
  methods — not module globals) hold no ``Oracle`` instance or class. (b) While the proxy
  scores, a profiler records every call into a method of any ``Oracle`` class, and an audit
  hook every file opened: a call into an oracle, or an open of the sanity oracle's own files,
  fails; other data files opened while scoring are listed as a warning.
* **time**: the median wall time per architecture over the sanity architectures is within
  ``--budget-s`` (default 10 s).
* **spaces**: on every dataset of every space the proxy claims (``Proxy.spaces``; ``None``
  claims every installed space), two sampled architectures score to finite values (noise
  inputs where the proxy needs data). All failing on a dataset fails; some failing warns.

Combinators have no per-architecture score: only their metadata is checked.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .api import Combinator, HarnessError, Needs, Oracle, Proxy, Space
from .config import validate_plugin_config
from .host import PluginHost, PluginInfo
from .inputs import InputConfig, load_batch
from .oracle_guard import find_oracles, oracle_code_objects, truth_files, watch_score
from .scoring import ProxyJob, ScoringSetup, arch_context, score_arch

Status = Literal["pass", "warn", "fail", "skip"]
PASS_CONCORDANCE = 0.7
FAIL_CONCORDANCE = 0.3
MIN_PAIRS = 4
NEAR_REL = 1e-6


class ValidateOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    space: str | None = Field(None, description="space of the sanity, determinism and time checks")
    dataset: str | None = Field(None, description="dataset of those checks (default: the space's first)")
    data: Path | None = Field(
        None, description="input images for those checks (default: auto, noise fallback)"
    )
    batch_size: int = Field(64, ge=1)
    budget_s: float = Field(10.0, gt=0, description="allowed median wall seconds per architecture")
    sanity_pool: int = Field(100, ge=4)
    sanity_k: int = Field(5, ge=2)
    seed: int = 0
    oracle: str | None = None
    oracle_config: dict[str, Any] = Field(default_factory=dict)
    proxy_config: dict[str, Any] = Field(default_factory=dict)
    device: str = "cpu"


@dataclass
class Check:
    name: str
    status: Status
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ValidationReport:
    proxy: str
    version: str
    distribution: str
    distribution_version: str
    options: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "proxy": self.proxy,
            "version": self.version,
            "distribution": self.distribution,
            "distribution_version": self.distribution_version,
            "passed": self.passed,
            "options": self.options,
            "checks": [asdict(c) for c in self.checks],
            "duration_s": round(self.duration_s, 3),
        }


# --------------------------------------------------------------------------- entry point


def validate_proxy(
    name: str, options: ValidateOptions | None = None, host: PluginHost | None = None
) -> ValidationReport:
    """Run every check on installed proxy ``name``; ``HarnessError`` when it is not installed."""
    options = options or ValidateOptions()
    started = time.perf_counter()
    host = host or PluginHost.discover()
    info = host.get("proxy", name)
    report = ValidationReport(
        info.name, str(info.version), info.distribution, info.dist_version, options.model_dump(mode="json")
    )
    meta, proxy = _metadata(info, options)
    report.checks.append(meta)
    later = ("orientation", "determinism", "ground truth", "time", "spaces")
    if isinstance(proxy, Combinator) or issubclass(info.cls, Combinator):
        report.checks += [
            Check(n, "skip", "a combinator has no per-architecture score; validate its members")
            for n in later
        ]
    elif proxy is None:
        report.checks += [Check(n, "skip", "the proxy cannot be built with its config") for n in later]
    else:
        report.checks += _scoring_checks(info, proxy, options, host)
    report.duration_s = time.perf_counter() - started
    return report


# --------------------------------------------------------------------------- metadata


def _metadata(info: PluginInfo, options: ValidateOptions) -> tuple[Check, Proxy | None]:
    cls = info.cls
    problems, notes = [], []
    if not isinstance(getattr(cls, "version", None), str) or not cls.version.strip():
        problems.append(f"version must be a non-empty string (is {getattr(cls, 'version', None)!r})")
    if not isinstance(getattr(cls, "higher_is_better", None), bool):
        problems.append("higher_is_better must be True or False")
    try:
        needs = {Needs(n) for n in cls.needs}
        if not needs:
            problems.append("needs is empty")
    except (TypeError, ValueError) as exc:
        problems.append(f"needs: {exc}")
    summary = (getattr(cls, "summary", "") or "").strip()
    doc = (cls.__doc__ or "").strip()
    if not summary and not doc:
        problems.append("no summary and no docstring: say what the score measures")
    elif not summary:
        notes.append("no summary (the docstring's first line stands in)")
    spaces = getattr(cls, "spaces", None)
    if spaces is not None and (isinstance(spaces, str) or not all(isinstance(s, str) for s in spaces)):
        problems.append(f"spaces must be a tuple of space names or None (is {spaces!r})")
    if info.distribution in ("", "unknown"):
        notes.append("the distribution is unknown (not installed through an entry point)")
    elif not info.dist_version:
        notes.append(f"distribution {info.distribution!r} has no version")
    proxy = None
    try:
        config = validate_plugin_config(cls.Config, options.proxy_config, "proxy config")
        config.model_dump_json()
        proxy = cls(config)
    except HarnessError as exc:
        if issubclass(cls, Combinator) and not options.proxy_config:  # members have no sensible default
            notes.append(f"a combinator needs its options (--proxy-opt): {' '.join(str(exc).split())}")
        else:
            problems.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - a plugin's own constructor may raise anything
        problems.append(f"Config/constructor raised {type(exc).__name__}: {exc}")
    data = {
        "version": getattr(cls, "version", None),
        "higher_is_better": getattr(cls, "higher_is_better", None),
        "needs": info.needs,
        "summary": summary or doc.split("\n")[0],
        "spaces": spaces,
        "distribution": f"{info.distribution} {info.dist_version}".strip(),
    }
    if problems:
        return Check("metadata", "fail", "; ".join(problems + notes), data), proxy
    status: Status = "warn" if notes else "pass"
    detail = (
        "; ".join(notes)
        if notes
        else (
            f"version {cls.version}, higher_is_better={cls.higher_is_better}, needs {', '.join(info.needs)}, "
            f"from {data['distribution']}"
        )
    )
    return Check("metadata", status, detail, data), proxy


# --------------------------------------------------------------------------- scoring checks


@dataclass
class _Scored:
    arch: str
    value: float | None
    reason: str | None
    wall_s: float | None


def _scoring_checks(
    info: PluginInfo, proxy: Proxy, options: ValidateOptions, host: PluginHost
) -> list[Check]:
    claimed = info.cls.spaces
    installed = host.names("space")
    space_name = options.space or _default_space(claimed, installed, _suite_spaces(host))
    if space_name is None:
        skip = "no installed space that the proxy claims"
        return [
            Check(n, "skip", skip) for n in ("orientation", "determinism", "ground truth", "time", "spaces")
        ]
    space = _space(host, space_name)
    dataset = options.dataset or next(iter(space.datasets()))
    space.dataset(dataset)
    job = ProxyJob(proxy)
    setup, input_note = _setup(space, dataset, job, options, options.data, "auto")

    oracle, oracle_problem = _oracle(space, options)
    pool = space.sample(
        min(options.sanity_pool, space.size() or options.sanity_pool), np.random.default_rng(options.seed)
    )
    good: list[str] = []
    bad: list[str] = []
    truth: dict[str, float] = {}
    if oracle is not None:
        values = np.asarray(oracle.query(pool, dataset), dtype=float)
        ranked = [pool[i] for i in np.argsort(values, kind="stable") if np.isfinite(values[i])]
        k = min(options.sanity_k, len(ranked) // 2)
        bad, good = ranked[:k], ranked[len(ranked) - k :]
        truth = {a: float(v) for a, v in zip(pool, values)}
    archs = (bad + good) if good else pool[: 2 * options.sanity_k]
    scored = [_score(setup, job, a) for a in archs]
    checks = [
        _orientation(proxy, scored, good, bad, truth, oracle, oracle_problem, dataset, input_note),
        _determinism(info, proxy, options, setup, scored[-1:] + scored[:1]),
        _ground_truth(info, proxy, options, setup, archs[-1], oracle, host),
        _time(scored, options.budget_s, f"{space.name}/{dataset}"),
        _spaces(info, proxy, options, host, claimed, installed),
    ]
    return checks


def _default_space(
    claimed: tuple[str, ...] | None, installed: list[str], suite_spaces: list[str]
) -> str | None:
    """A claimed space, else the only installed one, else the space of the installed leaderboard
    suites (what `nash submit` measures on; the core prefers no benchmark), else the first."""
    if claimed is not None:
        return next((s for s in claimed if s in installed), None)
    if len(installed) == 1:
        return installed[0]
    return next((s for s in suite_spaces if s in installed), installed[0] if installed else None)


def _suite_spaces(host: PluginHost) -> list[str]:
    """The spaces the installed versioned suites run on, in the order plugins contributed them."""
    from .api.suites import VersionedSuite
    from .suites import catalog

    return [
        str(suite.space.get("name"))
        for suite in catalog(host).versioned.values()
        if isinstance(suite, VersionedSuite) and suite.space.get("name")  # a cross-space suite names many
    ]


def _space(host: PluginHost, name: str) -> Space:
    space_info = host.get("space", name)
    return space_info.cls(space_info.cls.Config())


def _setup(
    space: Space, dataset: str, job: ProxyJob, options: ValidateOptions, data: Path | None, kind: str
) -> tuple[ScoringSetup, str]:
    batch, note = None, "no input data needed"
    if job.needs_data:
        cfg = InputConfig(kind=kind, path=data, batch_size=options.batch_size, seed=42)
        batch = load_batch(cfg, space.dataset(dataset), options.device)
        note = f"input {batch.spec}" + (" (noise: no images found; give --data)" if batch.fallback else "")
    setup = ScoringSetup(
        space=space,
        dataset=dataset,
        seed=42,
        device=options.device,
        batch=batch,
        input_spec=batch.spec if batch is not None else "none",
    )
    return setup, note


def _oracle(space: Space, options: ValidateOptions) -> tuple[Oracle | None, str]:
    oracles = space.oracles()
    if not oracles:
        return None, f"space {space.name!r} has no oracle"
    name = options.oracle or next(iter(oracles))
    if name not in oracles:
        raise HarnessError(f"--oracle {name!r}: space {space.name!r} has {', '.join(oracles)}")
    cls = oracles[name]
    try:
        return cls(validate_plugin_config(cls.Config, options.oracle_config, "--oracle-opt"), space=space), ""
    except HarnessError:
        raise
    except Exception as exc:  # noqa: BLE001 - an oracle whose data is not installed
        return None, f"oracle {name!r} unavailable: {type(exc).__name__}: {exc}"


def _score(setup: ScoringSetup, job: ProxyJob, arch: str) -> _Scored:
    [(_, record)] = score_arch(setup, arch, [job])
    reason = f"not applicable: {record.reason}" if record.status == "na" else record.reason
    return _Scored(arch, record.value if record.status == "ok" else None, reason, record.wall_s)


# --------------------------------------------------------------------------- orientation


def concordance(good: list[float], bad: list[float]) -> tuple[float | None, int]:
    """Share of (good, bad) pairs where the good architecture scores higher (ties ½)."""
    pairs = [(g, b) for g in good for b in bad]
    if not pairs:
        return None, 0
    wins = sum(1.0 if g > b else 0.5 if g == b else 0.0 for g, b in pairs)
    return wins / len(pairs), len(pairs)


def _orientation(proxy, scored, good, bad, truth, oracle, oracle_problem, dataset, input_note) -> Check:
    if oracle is None:
        return Check("orientation", "skip", f"no ground truth for a sanity case ({oracle_problem})")
    sign = 1.0 if proxy.higher_is_better else -1.0
    by_arch = {s.arch: s for s in scored}
    g = [sign * by_arch[a].value for a in good if by_arch[a].value is not None]
    b = [sign * by_arch[a].value for a in bad if by_arch[a].value is not None]
    conc, pairs = concordance(g, b)
    failed = sum(by_arch[a].value is None for a in good + bad)
    data = {
        "oracle": oracle.name,
        "dataset": dataset,
        "good": {a: truth[a] for a in good},
        "bad": {a: truth[a] for a in bad},
        "scores": {s.arch: s.value for s in scored},
        "concordance": conc,
        "pairs": pairs,
        "failed": failed,
        "input": input_note,
    }
    target = oracle.describe(dataset)
    case = (
        f"{len(good)} best vs {len(bad)} worst of a seeded sample by {target.target()} "
        f"({min(truth[a] for a in good):.1f}–{max(truth[a] for a in good):.1f} vs "
        f"{min(truth[a] for a in bad):.1f}–{max(truth[a] for a in bad):.1f} {target.metric})"
    )
    if conc is None or pairs < MIN_PAIRS:
        return Check(
            "orientation",
            "warn",
            f"{case}: only {pairs} usable pairs ({failed} scores failed); cannot tell the orientation",
            data,
        )
    orient = "higher" if proxy.higher_is_better else "lower"
    text = f"{case}: concordance {conc:.2f} over {pairs} pairs with '{orient} is better'"
    if conc >= PASS_CONCORDANCE:
        return Check("orientation", "pass", text, data)
    if conc <= FAIL_CONCORDANCE:
        return Check(
            "orientation",
            "fail",
            f"{text}: the worst architectures score as better than the best; "
            f"is higher_is_better={proxy.higher_is_better} inverted?",
            data,
        )
    return Check(
        "orientation",
        "warn",
        f"{text}: ambiguous (between {FAIL_CONCORDANCE} and {PASS_CONCORDANCE}); "
        "the proxy may not track accuracy on these architectures",
        data,
    )


# --------------------------------------------------------------------------- determinism


@contextlib.contextmanager
def other_rng_states() -> Iterator[None]:
    """Score under other global RNG states (torch, NumPy, Python), then put them back. The engine
    restores them after every proxy, so without this an unseeded proxy would find the same state
    both times and look deterministic, though in another worker process it scores differently."""
    import random

    import torch

    from .state_guard import RngStates

    saved = RngStates.now()
    seed = int.from_bytes(os.urandom(4), "little")
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        saved.restore()


def _determinism(info, proxy, options, setup, first: list[_Scored]) -> Check:
    again_proxy = info.cls(proxy.config)  # a fresh instance: no state carried over
    job = ProxyJob(again_proxy)
    rows, worst, status = [], 0.0, "pass"
    for s in first:
        with other_rng_states():
            again = _score(setup, job, s.arch)
        rows.append({"arch": s.arch, "first": s.value, "second": again.value})
        if s.value is None or again.value is None:
            if (s.value is None) != (again.value is None):
                return Check(
                    "determinism",
                    "fail",
                    f"{s.arch}: scored once, failed once ({s.reason or again.reason})",
                    {"pairs": rows},
                )
            continue
        if s.value != again.value:
            rel = abs(s.value - again.value) / max(abs(s.value), abs(again.value), 1e-300)
            worst = max(worst, rel)
            status = "warn" if rel <= NEAR_REL and status != "fail" else "fail"
    scored = [r for r in rows if r["first"] is not None]
    if not scored:
        return Check("determinism", "skip", "the proxy failed on the architectures tried", {"pairs": rows})
    batched = _batched_agreement(
        proxy, setup, [r["arch"] for r in rows], {r["arch"]: r["first"] for r in rows}
    )
    data = {"pairs": rows, "max_relative_difference": worst, **batched}
    if batched.get("batched_mismatch"):
        return Check(
            "determinism",
            "fail",
            f"score_topologies disagrees with score: {batched['batched_mismatch']}",
            data,
        )
    if status == "pass":
        return Check(
            "determinism",
            "pass",
            f"{len(scored)} architectures scored twice (fresh instance and context): identical values",
            data,
        )
    if status == "warn":
        return Check(
            "determinism",
            "warn",
            f"values differ by up to {worst:.1e} relative (floating-point "
            "non-determinism; ranks are unaffected unless scores nearly tie)",
            data,
        )
    return Check(
        "determinism",
        "fail",
        f"the same architecture gave different scores (up to {worst:.2e} "
        "relative): seed every random choice from ctx.seed / ctx.rng()",
        data,
    )


def _batched_agreement(proxy: Proxy, setup: ScoringSetup, archs: list[str], values: dict) -> dict:
    if not ProxyJob(proxy).batched:
        return {}
    topologies = [setup.space.topology(a, setup.dataset) for a in archs]
    batched = np.asarray(proxy.score_topologies(topologies), dtype=float)
    bad = [
        f"{a}: {values[a]} vs {v}"
        for a, v in zip(archs, batched)
        if values[a] is not None and not math.isclose(values[a], float(v), rel_tol=1e-9, abs_tol=0.0)
    ]
    return {"batched": batched.tolist(), "batched_mismatch": "; ".join(bad)}


# --------------------------------------------------------------------------- ground truth


def _ground_truth(info, proxy, options, setup: ScoringSetup, arch: str, oracle: Oracle | None, host) -> Check:
    job = ProxyJob(info.cls(proxy.config))
    ctx = arch_context(setup, arch, job.needs)
    _, visited = find_oracles(ctx)
    verdict, outcome = watch_score(job.proxy, ctx, oracle_code_objects(host), truth_files(oracle))
    data = {
        "arch": arch,
        "objects_visited": visited,
        "oracles_reachable": list(verdict.reached),
        "oracle_calls": list(verdict.calls),
        "truth_files_opened": list(verdict.truth_opened),
        "files_opened": list(verdict.other_files),
        "score": outcome,
    }
    if verdict.leaked:
        return Check("ground truth", "fail", "; ".join(verdict.problems()), data)
    if verdict.other_files:
        return Check(
            "ground truth",
            "warn",
            f"no oracle reached or called, but the proxy read files while "
            f"scoring: {', '.join(verdict.other_files[:3])}",
            data,
        )
    return Check(
        "ground truth",
        "pass",
        f"{visited} objects reachable from the context, none an oracle; no oracle "
        "call and no data file opened while scoring",
        data,
    )


# --------------------------------------------------------------------------- time and spaces


def _time(scored: list[_Scored], budget: float, where: str) -> Check:
    times = [s.wall_s for s in scored if s.wall_s is not None]
    if not times:
        return Check("time", "skip", "no timed architecture")
    median, worst = statistics.median(times), max(times)
    data = {"median_s": median, "max_s": worst, "n": len(times), "budget_s": budget, "where": where}
    text = f"median {median:.3f} s, max {worst:.3f} s per architecture over {len(times)} on {where}"
    if median <= budget:
        return Check("time", "pass", f"{text} (budget {budget:g} s)", data)
    return Check("time", "fail", f"{text}: over the budget of {budget:g} s", data)


def _spaces(info, proxy, options, host, claimed, installed) -> Check:
    names = list(claimed) if claimed is not None else list(installed)
    missing = [n for n in names if n not in installed]
    rows, problems, partial = [], [], []
    job = ProxyJob(info.cls(proxy.config))
    for name in [n for n in names if n in installed]:
        try:
            space = _space(host, name)
            datasets = list(space.datasets())
            space.sample(1, np.random.default_rng(0))
        except HarnessError as exc:  # a space whose own data files are not here
            partial.append(f"{name}: unavailable ({exc})")
            continue
        for dataset in datasets:
            if proxy.applicable(space.task(dataset)) is not None:
                rows.append(
                    {
                        "space": name,
                        "dataset": dataset,
                        "scored": 0,
                        "tried": 0,
                        "reasons": [f"not applicable: {proxy.applicable(space.task(dataset))}"],
                    }
                )
                continue
            setup, _ = _setup(space, dataset, job, options, None, "noise")
            archs = space.sample(min(2, space.size() or 2), np.random.default_rng(options.seed + 1))
            results = [_score(setup, job, a) for a in archs]
            ok = [r for r in results if r.value is not None]
            rows.append(
                {
                    "space": name,
                    "dataset": dataset,
                    "scored": len(ok),
                    "tried": len(results),
                    "reasons": [r.reason for r in results if r.value is None],
                }
            )
            if not ok and all((r.reason or "").startswith("not applicable") for r in results):
                continue
            if not ok:
                problems.append(f"{name}/{dataset}: {results[0].reason}")
            elif len(ok) < len(results):
                partial.append(f"{name}/{dataset}: {len(results) - len(ok)} of {len(results)} failed")
    data = {
        "claimed": list(claimed) if claimed is not None else None,
        "not_installed": missing,
        "results": rows,
    }
    scope = (
        f"claimed spaces {', '.join(names)}"
        if claimed is not None
        else f"every installed space ({', '.join(names)})"
    )
    if problems:
        return Check("spaces", "fail", f"every architecture failed on {'; '.join(problems)}", data)
    notes = partial + ([f"claimed but not installed: {', '.join(missing)}"] if missing else [])
    if notes:
        return Check("spaces", "warn", "; ".join(notes), data)
    if not rows:
        return Check("spaces", "skip", f"none of the {scope} is installed", data)
    return Check(
        "spaces",
        "pass",
        f"{scope}: finite scores on every dataset "
        f"({', '.join(sorted({r['space'] + '/' + r['dataset'] for r in rows}))})",
        data,
    )
