"""How long ``nash reproduce SUITE`` will take here, before it runs (``nash reproduce --list``).

The estimate is the sum of the parts a run actually spends its time on (issue 18: within 2× of
the measured wall time, checked by ``benchmarks/bench_reproduce_estimate.py``):

* ``start``: the command's own start-up (imports, plugin discovery), once;
* ``prepare``: each run's preparation (space, oracle, sample, input batch), *measured* here by
  preparing it, which the listing has to do anyway to count the scores the store lacks;
* ``workers``: starting a run's worker processes (each imports torch and the plugins), once per
  run that sends work to them;
* ``dispatch``: the per-architecture round trip to a worker, which dominates for cheap proxies;
* ``scoring``: the scores the store lacks × this store's recorded CPU seconds per architecture
  (by proxy, space and input, falling back to coarser groups, then to a default by what the
  proxy needs, scaled by the run's model size and batch, with data proxies sharing their passes),
  spread over the workers;
* ``analysis``: the bootstrap confidence intervals, linear in resamples × proxies and, per
  resample, in the number of architectures.

CPU rather than wall time is read from the store, so scores computed on a busy machine do not
inflate the estimate. The constants were measured on the project's 2-core reference machine
(README, "Reproducing the papers"); they are orders of magnitude, the store's rates are the data.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from .api import HarnessError, Needs
from .api.suites import Reproduction, ReproOptions
from .executors.limits import default_workers, sandbox_wanted
from .host import PluginHost
from .store import ScoreStore, default_path

__all__ = ["Estimate", "estimate", "rate_keys", "store_rates"]

START_S = 3.0  # `nash reproduce` up to its first run: torch, scipy, the plugins
WORKER_START_S = 3.5  # one worker process importing torch and loading the run (workers start in parallel)
DISPATCH_S = 2.5e-3  # one architecture's round trip driver -> worker -> store commit
BOOT_FIXED_S = 6e-4  # one bootstrap resample of Spearman and Kendall for one proxy ...
BOOT_PER_ARCH_S = 4.5e-7  # ... plus this per architecture (scipy's rank and tau, n log n)
# Per-arch CPU seconds where the store has never timed a proxy, for an NB201 cell at batch 64
# (bench_vs_reference: snip alone 0.59 s, the eleven fused 2.8 s): a data proxy's forward and
# backward cost FIRST_DATA_S; each further data proxy of the same run shares those passes and adds
# MORE_DATA_S. Scaled by the run's model size (``Space.cost`` MACs of a few of its architectures
# against NB201_MACS) and batch size; topology-only proxies never build a model.
FIRST_DATA_S = 0.45
MORE_DATA_S = 0.3
DEFAULT_S = {"topology": 1e-3, "grad": 0.15, "model": 0.1}
NB201_MACS = 55e6  # mean multiply-accumulates per image of NB201's CIFAR-10 cells
NB201_BATCH = 64
SIZE_PROBES = 2  # architectures whose MACs stand for the run's model size


@dataclass
class Estimate:
    runs: int = 0
    scores_total: int = 0
    scores_pending: int = 0
    per_proxy: dict[str, float] = field(default_factory=dict)  # scoring seconds by proxy
    parts: dict[str, float] = field(default_factory=dict)  # wall seconds by part (module docstring)
    workers: int = 1
    problem: str | None = None

    @property
    def seconds(self) -> float:
        """Wall seconds with ``workers`` processes: the sum of the parts."""
        return sum(self.parts.values())

    def add(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds


def estimate(
    suite: Reproduction,
    options: ReproOptions,
    *,
    store_path: Path | None = None,
    host: PluginHost | None = None,
) -> Estimate:
    """What running ``suite`` with ``options`` would compute and how long it would take here."""
    from .reproduce import row_plan
    from .runner import prepare_run

    host = host or PluginHost.discover()
    est = Estimate()
    inline = options.executor == "inline"
    est.workers = 1 if inline else (options.workers or default_workers())
    in_workers_only = not inline and sandbox_wanted()[0]  # sandboxed: batched proxies go per arch too
    try:
        _, to_run = row_plan(suite, options, host)
        plans = suite.plan(options, to_run) if to_run else []
        est.runs = len(plans)
        path = store_path or default_path()
        rates = store_rates(path)
        store = ScoreStore(path)
        est.add("start", START_S)
        try:
            for plan in plans:
                t0 = time.perf_counter()
                prep = prepare_run(plan.config, host=host)
                est.add("prepare", time.perf_counter() - t0)
                members = [m for job in prep.resolved.jobs for m in (job.members or (job,))]
                est.scores_total += len(members) * len(prep.archs)
                dispatched: set[str] = set()
                batched = {m.name for m in members if m.batched}
                pending = sorted(prep.pending(store).items(), key=lambda kv: -len(kv[1]))
                scale: float | None = None
                data_defaults = 0
                for key, archs in pending:
                    proxy, count = key.proxy, len(archs)
                    rate = next(
                        (rates[k] for k in rate_keys(proxy, key.space, key.input_spec) if k in rates), None
                    )
                    if rate is None:
                        kind = _rate_kind(host, proxy)
                        scale = _size_scale(prep) if scale is None else scale
                        if kind == "data":
                            rate = (FIRST_DATA_S if data_defaults == 0 else MORE_DATA_S) * scale
                            data_defaults += 1
                        else:
                            rate = DEFAULT_S[kind] * (1.0 if kind == "topology" else scale)
                    est.scores_pending += count
                    seconds = count * rate / est.workers
                    est.add("scoring", seconds)
                    est.per_proxy[proxy] = est.per_proxy.get(proxy, 0.0) + seconds
                    if not inline and (in_workers_only or proxy not in batched):
                        dispatched.update(archs)
                if dispatched:
                    est.add("workers", WORKER_START_S)
                    est.add("dispatch", len(dispatched) * DISPATCH_S / est.workers)
                resamples = prep.config.bootstrap
                per_resample = BOOT_FIXED_S + BOOT_PER_ARCH_S * len(prep.archs)
                est.add("analysis", resamples * len(members) * per_resample)
        finally:
            store.close()
    except HarnessError as exc:
        est.problem = str(exc)
    return est


def _rate_kind(host: PluginHost, name: str) -> str:
    needs = {Needs(n) for n in host.get("proxy", name).cls.needs}
    if needs == {Needs.TOPOLOGY}:
        return "topology"
    if needs & {Needs.DATA, Needs.LABELS}:
        return "data"
    return "grad" if Needs.GRAD in needs else "model"


def _size_scale(prep) -> float:
    """The run's models against an NB201 cell at batch 64: MACs per image × batch size."""
    space, dataset = prep.resolved.space, prep.config.dataset
    macs = [space.cost(arch, dataset).flops for arch in prep.archs[:SIZE_PROBES]]
    batch = prep.config.input.batch_size if prep.batch is not None else NB201_BATCH
    mean = sum(macs) / len(macs) if macs else NB201_MACS
    return max(mean / NB201_MACS, 0.05) * batch / NB201_BATCH


# the groups a recorded rate is kept by, most specific first: how ``rate_keys`` looks one up
RATE_GROUPS = ("proxy, space, input_spec", "proxy, space", "proxy, input_spec", "proxy")


def rate_keys(proxy: str, space: str, input_spec: str) -> list[tuple]:
    """The keys of ``store_rates`` that could time ``proxy`` on ``space`` with ``input_spec``,
    most specific first."""
    values = {"proxy": proxy, "space": space, "input_spec": input_spec}
    return [(group, *(values[c.strip()] for c in group.split(","))) for group in RATE_GROUPS]


def store_rates(path: Path) -> dict[tuple, float]:
    """Mean recorded CPU seconds per arch, keyed ``(group, *values)`` for each of ``RATE_GROUPS``
    (wall seconds for rows without CPU time). A fused pass's time is split among the proxies that
    shared it, so a rate depends on the company the proxy was scored in."""
    if not Path(path).is_file():
        return {}
    spent = "COALESCE(cpu_s, wall_s)"
    rates: dict[tuple, float] = {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            for group in RATE_GROUPS:
                rows = db.execute(
                    f"SELECT {group}, AVG({spent}) FROM scores WHERE {spent} IS NOT NULL GROUP BY {group}"
                ).fetchall()
                for *values, seconds in rows:
                    if seconds is not None:
                        rates[(group, *values)] = float(seconds)
        finally:
            db.close()
    except sqlite3.Error:
        return {}
    return rates
