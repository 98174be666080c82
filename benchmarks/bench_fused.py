"""Fused probes vs separate runs on NB201, through the real engine, ratios from one run.

Separate: each proxy alone, one engine call per (proxy, architecture), so every proxy gets a
fresh context (its own model and passes), as the reference implementations do. Fused: one
engine call per architecture with every proxy, so the proxies' declared probes share one
model per variant and one forward/backward of the batch. The two are interleaved per
architecture (separate runs of that architecture, then the fused run), so a change in the
machine's load hits both alike. Prints per-proxy separate time, their sum, the fused total and
the ratio (CPU and wall), then which proxies share which pass.

    python benchmarks/bench_fused.py --n 100 --threads 1
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from nb201_workload import add_workload_args, workload
from rich.console import Console
from rich.table import Table

from nas_harness.engine import Engine
from nas_harness.environment import cpu_name
from nas_harness.scoring import ProxyJob, ScoringSetup, declared_probes
from nas_harness.store import ScoreStore

SUITE = "params,flops,synflow,snip,grad_norm,jacob_cov,naswot,wrcor,grasp,fisher"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_workload_args(ap, proxies=SUITE, n=100, n_help="architectures")
    args = ap.parse_args()

    w = workload(args)
    host, space, archs, batch = w.host, w.space, w.archs, w.batch
    names = w.names
    jobs = [ProxyJob(host.get("proxy", n).cls()) for n in names]

    sep_wall = dict.fromkeys(names, 0.0)
    sep_cpu = dict.fromkeys(names, 0.0)
    fused_wall = fused_cpu = 0.0
    mismatches = 0
    with tempfile.TemporaryDirectory() as tmp:
        setup = ScoringSetup(space=space, dataset=args.dataset, batch=batch, input_spec=batch.spec)
        separate = Engine(setup, ScoreStore(Path(tmp) / "separate.sqlite"))
        fused = Engine(setup, ScoreStore(Path(tmp) / "fused.sqlite"))
        for i, arch in enumerate(archs):
            alone = {}
            for name, job in zip(names, jobs):
                t0, c0 = time.perf_counter(), time.process_time()
                alone[name] = separate.score([job], [arch])[name].values[0]
                sep_wall[name] += time.perf_counter() - t0
                sep_cpu[name] += time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            together = fused.score(jobs, [arch])
            fused_wall += time.perf_counter() - t0
            fused_cpu += time.process_time() - c0
            for name in names:
                a, f = alone[name], together[name].values[0]
                if not (np.isnan(a) and np.isnan(f)) and not np.isclose(a, f, rtol=1e-5, atol=0):
                    mismatches += 1
            ratio = fused_cpu / sum(sep_cpu.values())
            print(f"\r{i + 1}/{len(archs)} archs, fused/separate CPU so far {ratio:.3f}", end="", flush=True)
        print()
        separate.store.close()
        fused.store.close()

    n = len(archs)
    total_wall, total_cpu = sum(sep_wall.values()), sum(sep_cpu.values())
    t = Table(
        title=f"fused vs separate on {n} NB201 archs ({args.dataset}, batch {args.batch_size}, "
        f"input {batch.kind}, torch threads {args.threads})"
    )
    for col in ("proxy", "separate CPU s/arch", "separate wall s/arch", "share of separate CPU"):
        t.add_column(col, justify="left" if col == "proxy" else "right")
    for name in names:
        t.add_row(
            name, f"{sep_cpu[name] / n:.4f}", f"{sep_wall[name] / n:.4f}", f"{sep_cpu[name] / total_cpu:.1%}"
        )
    t.add_section()
    t.add_row("sum of separate", f"{total_cpu / n:.4f}", f"{total_wall / n:.4f}", "100.0%")
    t.add_row(
        "fused (all together)",
        f"{fused_cpu / n:.4f}",
        f"{fused_wall / n:.4f}",
        f"{fused_cpu / total_cpu:.1%}",
    )
    t.add_row("fused / separate", f"{fused_cpu / total_cpu:.3f}", f"{fused_wall / total_wall:.3f}", "")
    console = Console()
    console.print(t)
    console.print(
        f"scores differing beyond rtol 1e-5 between fused and separate: {mismatches} of {n * len(names)}"
    )

    passes: dict[object, list[str]] = {}
    for job in jobs:
        for p in declared_probes([job]):
            passes.setdefault(p.pass_key, []).append(f"{job.name} ({type(p).__name__})")  # type: ignore[attr-defined]
    shared = Table(title="passes per architecture (fused)")
    shared.add_column("pass")
    shared.add_column("proxies (probe)")
    for key, who in passes.items():
        shared.add_row(repr(key), ", ".join(who))
    console.print(shared)
    console.print(f"CPU: {cpu_name()}")


if __name__ == "__main__":
    main()
