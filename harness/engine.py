"""The engine: scores (proxy, architecture) pairs, reusing the store, committing each score.

For one architecture it builds the context once (topology, seeded model factory, the shared
input batch) and asks every proxy that still lacks a score for it. Scores already in the
store are never recomputed; an exception or a non-finite value is recorded as a failure
with its reason, and the run goes on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .api import NotApplicable
from .scoring import ProxyJob, ScoringSetup, WorkUnit, expand
from .store import ScoreKey, ScoreRecord, ScoreStore

if TYPE_CHECKING:
    from .executors.base import Executor

Progress = Callable[[int], None]  # called with the number of (arch, proxy) pairs just finished


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
        return {r.arch: r.reason or "" for r in self.records if r.status == "failed"}

    @property
    def not_applicable(self) -> str | None:
        """The reason, when the proxy was not applicable to any architecture scored."""
        reasons = [r.reason or "" for r in self.records if r.status == "na"]
        if reasons and len(reasons) == len(self.records):
            return reasons[0]
        return None

    def mean_time(self) -> float | None:
        times = [r.wall_s for r in self.records if r.wall_s is not None]
        return float(np.mean(times)) if times else None


@dataclass
class Engine:
    setup: ScoringSetup
    store: ScoreStore
    progress: Progress | None = None
    batch_size_topology: int = 4096
    executor: Executor | None = None  # None: score in this process (InlineExecutor)

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
        """Scores of every job; combinators are computed from their members' scores. A proxy not
        applicable to the task gets a table of ``na`` records, and nothing is computed for it."""
        task = self.setup.task
        reasons = {id(j): j.proxy.applicable(task) or self.setup.missing_targets(j) for j in expand(jobs)}
        plain = [j for j in expand(jobs) if reasons[id(j)] is None]
        tables = self._score_plain(plain, archs)
        for j in expand(jobs):
            if reasons[id(j)] is not None:
                tables[self.setup.key(j)] = ScoreTable(
                    j.name,
                    list(archs),
                    [ScoreRecord(a, None, "na", reasons[id(j)], None, None) for a in archs],
                )
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
        # Batched topology-only proxies run here, in the driver, which holds the oracle: with a
        # sandboxed executor they are scored like the others instead (``score`` per architecture,
        # in the sandboxed workers; ``nash validate`` checks that it agrees with the batch).
        in_driver = not self.executor.sandboxed
        for job in jobs:
            if in_driver and job.batched and todo[keys[id(job)]]:
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
    def _score_batched(self, job: ProxyJob, archs: list[str]) -> None:
        s = self.setup
        for start in range(0, len(archs), self.batch_size_topology):
            chunk = archs[start : start + self.batch_size_topology]
            t0, c0 = time.perf_counter(), time.process_time()
            topologies = [s.space.topology(a, s.dataset) for a in chunk]
            try:
                raw = job.proxy.score_topologies(topologies)
            except NotApplicable as exc:
                self.store.put_many(
                    s.key(job), [ScoreRecord(a, None, "na", str(exc)[:500], None, None) for a in chunk]
                )
                continue
            except Exception as exc:  # noqa: BLE001 - a failing proxy never takes the run down
                reason = f"{type(exc).__name__}: {exc}".strip()[:500]
                self.store.put_many(
                    s.key(job), [ScoreRecord(a, None, "failed", reason, None, None) for a in chunk]
                )
                continue
            wall = (time.perf_counter() - t0) / len(chunk)
            cpu = (time.process_time() - c0) / len(chunk)
            values, wrong = batch_values(raw, len(chunk))
            if wrong:
                reason = f"{job.name}.score_topologies: {wrong}"[:500]
                self.store.put_many(
                    s.key(job), [ScoreRecord(a, None, "failed", reason, wall, cpu) for a in chunk]
                )
                continue
            records = [
                ScoreRecord(a, float(v), "ok", None, wall, cpu)
                if math.isfinite(v)
                else ScoreRecord(a, None, "failed", f"non-finite score: {v}", wall, cpu)
                for a, v in zip(chunk, values)
            ]
            self.store.put_many(s.key(job), records)
            if self.progress:
                self.progress(len(chunk))


def batch_values(raw: object, n: int) -> tuple[np.ndarray, str | None]:
    """``score_topologies``'s answer as n floats, or why it is not n real numbers (strings,
    bools, objects and a wrong shape are failures, not conversions)."""
    try:
        arr = np.asarray(raw)
    except Exception as exc:  # noqa: BLE001 - whatever the proxy returned
        return np.empty(0), f"returned {type(raw).__name__} ({type(exc).__name__}: {exc})"
    if arr.dtype.kind not in "iuf":
        return np.empty(0), f"must return real numbers, got an array of {arr.dtype} ({type(raw).__name__})"
    if arr.shape != (n,):
        return np.empty(0), f"returned shape {arr.shape} for {n} archs"
    return arr.astype(float), None


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
