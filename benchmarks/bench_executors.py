"""Throughput of the executors on real NB201 models and CIFAR-10 images, in one run.

Scores the same N architectures with cheap model-based proxies (default synflow + naswot,
batch 64 of the real CIFAR-10 sample) through each executor into a fresh store, and prints
archs/s twice: for a warm pool (workers started and holding the run's setup; what a long run
sees) and for the whole call including the workers' start-up (what a short run sees).

    python benchmarks/bench_executors.py [--n 40] [--proxies synflow,naswot] [--skip-dask]

The numbers depend on what else the machine runs: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from nas_harness.api import shared_dir
from nas_harness.engine import Engine
from nas_harness.executors import make_executor
from nas_harness.runner import prepare_run
from nas_harness.store import ScoreStore

CONFIGS = [  # (label, executor, workers, threads)
    ("inline, 1 thread", "inline", None, 1),
    ("inline, 2 threads", "inline", None, 2),
    ("local, 1 worker x 1 thread", "local", 1, 1),
    ("local, 1 worker x 2 threads", "local", 1, 2),
    ("local, 2 workers x 1 thread", "local", 2, 1),
    ("dask LocalCluster, 2 workers x 1 thread", "dask", 2, 1),
]


def time_config(prep, kind, workers, threads, archs, work: Path) -> tuple[float, float]:
    """(seconds for the whole call from a cold executor, seconds with a warm one)."""
    jobs = prep.resolved.jobs
    with make_executor(kind, workers=workers, threads=threads, time_limit_s=600, memory_limit_mb=4096) as ex:
        t0 = time.perf_counter()
        Engine(prep.setup, ScoreStore(work / f"{kind}-{workers}-{threads}-cold.sqlite"), executor=ex).score(
            jobs, archs
        )
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        Engine(prep.setup, ScoreStore(work / f"{kind}-{workers}-{threads}-warm.sqlite"), executor=ex).score(
            jobs, archs
        )
        warm = time.perf_counter() - t0
    return cold, warm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--proxies", default="synflow,naswot")
    ap.add_argument("--images", type=Path, default=shared_dir() / "data/images/cifar10_sample.npz")
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()
    prep = prepare_run(
        {
            "space": "nb201",
            "proxies": args.proxies.split(","),
            "sample": {"mode": "random", "n": args.n, "seed": 3},
            "input": {"path": str(args.images), "batch_size": 64},
            "executor": "inline",
        }
    )
    archs = prep.archs
    work = Path(tempfile.mkdtemp(prefix="nash-bench-exec-"))
    load_before = os.getloadavg()
    rows = []
    for label, kind, workers, threads in CONFIGS:
        if kind == "dask" and args.skip_dask:
            continue
        cold, warm = time_config(prep, kind, workers, threads, archs, work)
        rows.append((label, len(archs) / warm, len(archs) / cold))
        print(
            f"{label}: {len(archs) / warm:.2f} archs/s warm, {len(archs) / cold:.2f} incl. start-up",
            flush=True,
        )
    base = next(r[1] for r in rows if r[0] == "inline, 2 threads")
    table = Table(
        title=f"executor throughput: {args.n} NB201 archs x {args.proxies}, CIFAR-10 batch 64 "
        f"({os.cpu_count()} cores; load avg {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after)"
    )
    for col in ("executor", "archs/s (warm pool)", "vs inline 2 threads", "archs/s (incl. start-up)"):
        table.add_column(col, justify="left" if col == "executor" else "right")
    for label, warm, cold in rows:
        table.add_row(label, f"{warm:.2f}", f"{warm / base:.2f}x", f"{cold:.2f}")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
