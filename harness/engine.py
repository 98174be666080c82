"""The engine: scores (proxy, architecture) pairs, reusing the store, committing each score.

For one architecture it builds the context once (topology, seeded model factory, the shared
input batch) and asks every proxy that still lacks a score for it. Scores already in the
store are never recomputed; an exception or a non-finite value is recorded as a failure
with its reason, and the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from .api import BuiltModel, Combinator, Needs, PluginConfig, Proxy, ScoreContext, Space, as_built
from .inits import initialize
from .store import ScoreKey, ScoreRecord, ScoreStore

if TYPE_CHECKING:
    from .executors.base import Executor

Progress = Callable[[int], None]  # called with the number of (arch, proxy) pairs just finished


def config_hash(config: PluginConfig) -> str:
    """A short stable hash of a resolved plugin config (defaults filled)."""
    blob = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ProxyJob:
    """A proxy instance with its resolved config."""

    proxy: Proxy
    members: tuple["ProxyJob", ...] = ()  # for combinators: the member proxies' jobs

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

    def key(self, job: ProxyJob) -> ScoreKey:
        """Topology-only scores ignore init/seed/input; model-only scores ignore input."""
        uses_model = not job.topology_only
        return ScoreKey(
            proxy=job.name,
            proxy_version=str(job.proxy.version),
            config_hash=config_hash(job.proxy.config),
            space=f"{self.space.name}@{self.space.version}",
            dataset=self.dataset,
            input_spec=self.input_spec if job.needs_data else "none",
            init=self.init if uses_model else "none",
            seed=self.seed if uses_model else 0,
        )


@dataclass
class ScoreTable:
    """Scores of one proxy over the requested architectures, in their order."""

    proxy: str
    archs: list[str]
    records: list[ScoreRecord]
    computed: int = 0  # how many were computed in this call (the rest came from the store)

    @property
    def values(self) -> np.ndarray:
        return np.array(
            [r.value if r.status == "ok" and r.value is not None else np.nan for r in self.records],
            dtype=float,
        )

    @property
    def failures(self) -> dict[str, str]:
        return {r.arch: r.reason or "" for r in self.records if r.status != "ok"}

    def mean_time(self) -> float | None:
        times = [r.wall_s for r in self.records if r.wall_s is not None]
        return float(np.mean(times)) if times else None


@dataclass
class Engine:
    setup: ScoringSetup
    store: ScoreStore
    progress: Progress | None = None
    batch_size_topology: int = 4096
    executor: "Executor | None" = None  # None: score in this process (InlineExecutor)

    def __post_init__(self) -> None:
        if self.executor is None:
            from .executors.inline import InlineExecutor

            self.executor = InlineExecutor()

    def pending(self, jobs: Sequence[ProxyJob], archs: Sequence[str]) -> dict[ScoreKey, list[str]]:
        """Architectures each (member) proxy still needs, given what the store holds."""
        out = {}
        for job in expand(jobs):
            key = self.setup.key(job)
            have = self.store.get_many(key, archs)
            out[key] = [a for a in dict.fromkeys(archs) if a not in have]
        return out

    def score(self, jobs: Sequence[ProxyJob], archs: Sequence[str]) -> dict[str, ScoreTable]:
        """Scores of every job; combinators are computed from their members' scores."""
        plain = expand(jobs)
        tables = self._score_plain(plain, archs)
        out = {}
        for job in jobs:
            if job.is_combinator:
                members = [tables[self.setup.key(m)] for m in job.members]
                out[job.name] = combine_tables(job, members, list(archs))
            else:
                out[job.name] = tables[self.setup.key(job)]
        return out

    def _score_plain(self, jobs: Sequence[ProxyJob], archs: Sequence[str]) -> dict[ScoreKey, ScoreTable]:
        keys = {id(job): self.setup.key(job) for job in jobs}
        todo = self.pending(jobs, archs)
        counts = {key: len(v) for key, v in todo.items()}
        for job in jobs:
            if job.batched and todo[keys[id(job)]]:
                self._score_batched(job, todo.pop(keys[id(job)]))
        per_arch: dict[str, list[ProxyJob]] = {}
        for job in jobs:
            for arch in todo.get(keys[id(job)], []):
                per_arch.setdefault(arch, []).append(job)
        units = [WorkUnit(arch, tuple(arch_jobs)) for arch, arch_jobs in per_arch.items()]
        del per_arch
        for key, record in self.executor.map_archs(self.setup, units):
            self.store.put(key, record)  # the driver commits as results stream back
            if self.progress:
                self.progress(1)
        tables = {}
        for job in jobs:
            key = keys[id(job)]
            found = self.store.get_many(key, archs)
            missing = [a for a in archs if a not in found]
            if missing:  # only if another writer deleted rows under us
                raise RuntimeError(f"{job.name}: {len(missing)} scores vanished from the store")
            records = [found[a] for a in archs]
            tables[key] = ScoreTable(job.name, list(archs), records, counts[key])
        return tables

    # ------------------------------------------------------------------ internals
    def _context(self, arch: str, job_needs: frozenset[Needs]) -> ScoreContext:
        return arch_context(self.setup, arch, job_needs)

    def _score_batched(self, job: ProxyJob, archs: list[str]) -> None:
        s = self.setup
        for start in range(0, len(archs), self.batch_size_topology):
            chunk = archs[start : start + self.batch_size_topology]
            t0, c0 = time.perf_counter(), time.process_time()
            topologies = [s.space.topology(a, s.dataset) for a in chunk]
            values = np.asarray(job.proxy.score_topologies(topologies), dtype=float)
            wall = (time.perf_counter() - t0) / len(chunk)
            cpu = (time.process_time() - c0) / len(chunk)
            if values.shape != (len(chunk),):
                raise RuntimeError(
                    f"{job.name}.score_topologies returned shape {values.shape} for {len(chunk)} archs"
                )
            records = [
                ScoreRecord(a, float(v), "ok", None, wall, cpu)
                if math.isfinite(v)
                else ScoreRecord(a, None, "failed", f"non-finite score: {v}", wall, cpu)
                for a, v in zip(chunk, values)
            ]
            self.store.put_many(s.key(job), records)
            if self.progress:
                self.progress(len(chunk))


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


def score_arch(setup: ScoringSetup, arch: str, jobs: Sequence[ProxyJob]) -> list[tuple[ScoreKey, ScoreRecord]]:
    """Every job's record for one architecture; pure (no store, no I/O), so it runs in any worker.

    A shared pass runs when the first of its proxies asks for it; its time is then split equally
    among the proxies that declared a probe of it, so each record's time is that proxy's share of
    the fused work (the sum over the jobs is the time spent), not an accident of job order.
    """
    from .api.probes import pass_costs

    needs = frozenset().union(*(j.needs for j in jobs))
    ctx = arch_context(setup, arch, needs)
    ctx.plan = declared_probes(jobs)  # one forward/backward serves every proxy's probes
    records, triggered = [], []
    for job in jobs:
        ran_before = len(pass_costs(ctx))
        records.append(_timed(arch, lambda: job.proxy.score(ctx)))
        triggered.append(pass_costs(ctx)[ran_before:])
    return [(setup.key(job), rec) for job, rec in zip(jobs, _share_pass_costs(jobs, records, triggered))]


def _share_pass_costs(jobs: Sequence[ProxyJob], records: list[ScoreRecord], triggered: list[list]) -> list[ScoreRecord]:
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


def combine_tables(job: ProxyJob, members: list[ScoreTable], archs: list[str]) -> ScoreTable:
    """A combinator's table: combined where every member scored, failed (with why) elsewhere."""
    matrix = np.vstack(
        [t.values if m.proxy.higher_is_better else -t.values for t, m in zip(members, job.members)]
    )
    ok = np.isfinite(matrix).all(axis=0)
    values = np.full(len(archs), np.nan)
    if ok.any():
        values[ok] = np.asarray(job.proxy.combine(matrix[:, ok]), dtype=float)
    times = np.vstack([[r.wall_s or 0.0 for r in t.records] for t in members]).sum(axis=0)
    records = []
    for i, arch in enumerate(archs):
        if ok[i]:
            records.append(ScoreRecord(arch, float(values[i]), "ok", None, float(times[i]), None))
        else:
            bad = [t.proxy for t in members if not np.isfinite(t.values[i])]
            records.append(ScoreRecord(arch, None, "failed", f"member failed: {', '.join(bad)}", None, None))
    return ScoreTable(job.name, archs, records, computed=0)


def _timed(arch: str, fn: Callable[[], float]) -> ScoreRecord:
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        value = float(fn())
    except Exception as exc:  # noqa: BLE001 - a failing proxy never takes the run down
        reason = f"{type(exc).__name__}: {exc}".strip()
        return ScoreRecord(arch, None, "failed", reason[:500], *_elapsed(t0, c0))
    if not math.isfinite(value):
        return ScoreRecord(arch, None, "failed", f"non-finite score: {value}", *_elapsed(t0, c0))
    return ScoreRecord(arch, value, "ok", None, *_elapsed(t0, c0))


def _elapsed(t0: float, c0: float) -> tuple[float, float]:
    return time.perf_counter() - t0, time.process_time() - c0
