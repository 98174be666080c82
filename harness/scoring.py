"""Scoring one architecture: the context its proxies share and the record of each proxy.

Pure and store-free, so it runs in any worker process: the executors call ``score_arch``; the
engine (above them) decides what to score and commits the records. ``ScoringSetup.key`` is
everything besides the architecture that determines a score (the store's key).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from .api import (
    BuiltModel,
    CalibrationInfo,
    Combinator,
    Needs,
    NotApplicable,
    PluginConfig,
    Proxy,
    ScoreContext,
    Space,
    as_built,
)
from .inits import initialize
from .store import ScoreKey, ScoreRecord


def config_hash(config: PluginConfig) -> str:
    """A short stable hash of a resolved plugin config (defaults filled)."""
    blob = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ProxyJob:
    """A proxy instance with its resolved config."""

    proxy: Proxy
    members: tuple[ProxyJob, ...] = ()  # for combinators: the member proxies' jobs
    calibration: CalibrationInfo | None = None  # a fitted trainable proxy: what it learned from

    @property
    def is_combinator(self) -> bool:
        return isinstance(self.proxy, Combinator)

    @property
    def name(self) -> str:
        return self.proxy.name

    @property
    def needs(self) -> frozenset[Needs]:
        """A combinator needs what its members need (so its signature names their input)."""
        own = frozenset(Needs(n) for n in self.proxy.needs)
        return own.union(*(m.needs for m in self.members)) - {Needs.SCORES} if self.members else own

    @property
    def topology_only(self) -> bool:
        return self.needs == {Needs.TOPOLOGY}

    @property
    def needs_data(self) -> bool:
        return bool(self.needs & {Needs.DATA, Needs.LABELS})

    @property
    def batched(self) -> bool:
        return self.topology_only and type(self.proxy).score_topologies is not Proxy.score_topologies


@dataclass
class ScoringSetup:
    """What, besides the architecture, determines a score."""

    space: Space
    dataset: str
    init: str = "kaiming_uniform"
    seed: int = 42
    device: str = "cpu"
    batch: object | None = None  # an inputs.InputBatch, loaded by the caller when data is needed
    input_spec: str = "none"

    @property
    def task(self):
        return self.space.task(self.dataset)

    def missing_targets(self, job: ProxyJob) -> str | None:
        """Why ``job`` cannot run on this batch: it needs targets (labels) the input source does
        not give for the task (e.g. class images for a regression task); None when it can."""
        batch = self.batch
        if Needs.LABELS in job.needs and batch is not None and getattr(batch, "targets", None) is None:
            return getattr(batch, "no_targets", "") or "the input batch has no targets"
        return None

    def key(self, job: ProxyJob) -> ScoreKey:
        """Topology-only scores ignore init/seed/input; model-only scores ignore input."""
        uses_model = not job.topology_only
        cal = job.calibration
        return ScoreKey(
            proxy=job.name,
            proxy_version=str(job.proxy.version),
            config_hash=config_hash(job.proxy.config),
            space=f"{self.space.name}@{self.space.version}",
            dataset=self.task.scored_as or self.dataset,
            input_spec=self.input_spec if job.needs_data else "none",
            init=self.init if uses_model else "none",
            seed=self.seed if uses_model else 0,
            space_config=space_config_key(self.space),
            calibration=f"{cal.hash}:{cal.state_hash}" if cal is not None else "",
        )


def space_config_key(space: Space) -> str:
    """ "" for a space with its default config (so v1 keys and signatures stay valid), else the
    config's hash."""
    return "" if space.config == type(space.config)() else config_hash(space.config)


@dataclass(frozen=True)
class WorkUnit:
    """One architecture and the jobs that still lack a score for it: scored together, in one call."""

    arch: str
    jobs: tuple[ProxyJob, ...]


def arch_context(setup: ScoringSetup, arch: str, job_needs: frozenset[Needs]) -> ScoreContext:
    """The context every proxy of one architecture shares (topology, seeded model factory, batch)."""
    info = setup.space.dataset(setup.dataset)
    ctx = ScoreContext(arch=arch, space=setup.space.name, dataset=info, seed=setup.seed, device=setup.device)
    if Needs.TOPOLOGY in job_needs:
        ctx.topology = setup.space.topology(arch, setup.dataset)
    if job_needs - {Needs.TOPOLOGY}:
        ctx._model_factory = model_factory(setup, arch)
    if job_needs & {Needs.DATA, Needs.LABELS} and setup.batch is not None:
        ctx.inputs = setup.batch.inputs
        ctx.targets = setup.batch.targets
        ctx.input_kind = setup.batch.kind
    return ctx


def model_factory(setup: ScoringSetup, arch: str):
    def build(*, bn: bool = True) -> BuiltModel:
        import torch

        torch.manual_seed(setup.seed)
        built = as_built(setup.space.build_model(arch, setup.dataset, bn=bn))
        initialize(built.module, setup.init)
        return built.to(setup.device)

    return build


def score_arch(
    setup: ScoringSetup,
    arch: str,
    jobs: Sequence[ProxyJob],
    *,
    guard: bool = True,
) -> list[tuple[ScoreKey, ScoreRecord]]:
    """Every job's record for one architecture; pure (no store, no I/O), so it runs in any worker.

    A shared pass runs when the first of its proxies asks for it; its time is then split equally
    among the proxies that declared a probe of it, so each record's time is that proxy's share of
    the fused work (the sum over the jobs is the time spent), not an accident of job order.

    With ``guard`` (always, but for measuring it) a ``StateGuard`` checks after each proxy that
    it left the batch, the probe results, the context and the global torch state as it found
    them; a proxy that did not is failed with what it changed, and the proxies after it are
    scored again in a fresh context (their passes rerun), so no changed value reaches a record.
    The global RNGs (torch CPU, NumPy, Python) are put back after every proxy, so each starts
    from the state the architecture started with, whatever the proxies before it drew or seeded.
    """
    from .api.probes import pass_costs
    from .state_guard import RngStates, StateGuard

    needs = frozenset().union(*(j.needs for j in jobs))
    plan = declared_probes(jobs)  # one forward/backward serves every proxy's probes
    records: list[ScoreRecord | None] = [None] * len(jobs)
    triggered: list[list] = [[] for _ in jobs]
    start = 0
    while start < len(jobs):
        ctx = arch_context(setup, arch, needs)
        ctx.plan = plan
        watch = StateGuard(ctx, append_only=(pass_costs(ctx),)) if guard else None
        for i in range(start, len(jobs)):
            start = i + 1
            ran_before = len(pass_costs(ctx))
            rng = RngStates.now() if guard else None
            records[i] = timed(arch, partial(jobs[i].proxy.score, ctx))
            if rng is not None:
                rng.restore()  # what a proxy drew or reseeded is not the next proxy's starting state
            triggered[i] = pass_costs(ctx)[ran_before:]
            changed = watch.check() if watch is not None else None
            if changed:
                records[i] = replace(records[i], value=None, status="failed", reason=changed[:500])
                watch.repair()
                break  # the rest start again from a clean context
    done = [r for r in records if r is not None]  # every job has run once the loop ends
    return [(setup.key(job), rec) for job, rec in zip(jobs, _share_pass_costs(jobs, done, triggered))]


def _share_pass_costs(
    jobs: Sequence[ProxyJob], records: list[ScoreRecord], triggered: list[list]
) -> list[ScoreRecord]:
    wall = [r.wall_s or 0.0 for r in records]
    cpu = [r.cpu_s or 0.0 for r in records]
    keys = [_pass_keys(job) for job in jobs]
    for i, costs in enumerate(triggered):
        for cost in costs:
            sharers = sorted({i} | {j for j, k in enumerate(keys) if cost.key in k})
            wall[i] -= cost.wall_s
            cpu[i] -= cost.cpu_s
            for j in sharers:
                wall[j] += cost.wall_s / len(sharers)
                cpu[j] += cost.cpu_s / len(sharers)
    return [replace(r, wall_s=max(w, 0.0), cpu_s=max(c, 0.0)) for r, w, c in zip(records, wall, cpu)]


def _pass_keys(job: ProxyJob) -> set:
    return {p.pass_key for p in _probes_of(job)}


def _probes_of(job: ProxyJob) -> tuple:
    """The probes a job declares (``Proxy.probes``). A proxy whose declaration fails declares
    nothing; it still runs (and reports its own failure)."""
    try:
        return tuple(job.proxy.probes())
    except Exception:  # noqa: BLE001 - declaring is an optimisation, never fatal
        return ()


def declared_probes(jobs: Sequence[ProxyJob]) -> tuple:
    """Every probe the jobs declare, once each, in order."""
    return tuple(dict.fromkeys(p for job in jobs for p in _probes_of(job)))


def expand(jobs: Sequence[ProxyJob]) -> list[ProxyJob]:
    """The non-combinator jobs to score: the plain ones and every combinator's members."""
    out: dict[tuple[str, str], ProxyJob] = {}
    for job in jobs:
        for j in job.members if job.is_combinator else (job,):
            out.setdefault((j.name, config_hash(j.proxy.config)), j)
    return list(out.values())


def timed(arch: str, fn: Callable[[], float]) -> ScoreRecord:
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        raw = fn()
    except NotApplicable as exc:
        return ScoreRecord(arch, None, "na", str(exc)[:500], *elapsed(t0, c0))
    except Exception as exc:  # noqa: BLE001 - a failing proxy never takes the run down
        reason = f"{type(exc).__name__}: {exc}".strip()
        return ScoreRecord(arch, None, "failed", reason[:500], *elapsed(t0, c0))
    wrong = not_a_number(raw)
    if wrong:
        return ScoreRecord(arch, None, "failed", wrong, *elapsed(t0, c0))
    value = float(raw)
    if not math.isfinite(value):
        return ScoreRecord(arch, None, "failed", f"non-finite score: {value}", *elapsed(t0, c0))
    return ScoreRecord(arch, value, "ok", None, *elapsed(t0, c0))


def not_a_number(value: object) -> str | None:
    """None when ``value`` is a real Python or NumPy number; else why it is not a score (a
    tensor, a string or a bool converts with ``float`` but is not one)."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return f"the score must be a real number (int, float or a NumPy scalar), got {type(value).__module__}.{type(value).__qualname__}"[
            :500
        ]
    return None


def elapsed(t0: float, c0: float) -> tuple[float, float]:
    return time.perf_counter() - t0, time.process_time() - c0
