"""What the trust machinery costs, in one run, as ratios (issue 16).

Three measurements on NB201 (CIFAR-10), each with the machinery off and on, alternating which
goes first so the machine's load hits both alike:

1. **guards**: every proxy of an architecture fused in one ``score_arch`` with the shared-state
   guard and the per-proxy RNG isolation off and on (CPU s per architecture; scores compared).
2. **scoring sandbox**: ``compute_run`` with the local executor, one worker, ``$NASH_SANDBOX=0`` vs
   the default (Landlock in the worker): wall s of the run, worker start included.
3. **search**: ``compute_search`` (regularized evolution) in the driver vs the sandboxed strategy
   process with sandboxed workers: wall s and the trajectory compared.

    python benchmarks/bench_trust.py --n 6 --budget 12 --repeats 2
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

IMAGES = shared_dir() / "data" / "images" / "cifar10_sample.npz"


def sandbox(on: bool) -> None:
    if on:
        os.environ.pop("NASH_SANDBOX", None)
    else:
        os.environ["NASH_SANDBOX"] = "0"


def guards(proxies: list[str], n: int, rounds: int) -> tuple[float, float, int, int]:
    """(CPU s/arch off, on, differing scores, scores) of ``score_arch`` with guard+RNG off/on."""
    import numpy as np

    from nas_harness.host import PluginHost
    from nas_harness.inputs import InputConfig, load_batch
    from nas_harness.scoring import ProxyJob, ScoringSetup, score_arch

    host = PluginHost.discover()
    space = host.get("space", "nb201").cls()
    archs = space.sample(n, np.random.default_rng(0))
    batch = load_batch(InputConfig(path=IMAGES, batch_size=16), space.dataset("cifar10"))
    setup = ScoringSetup(space=space, dataset="cifar10", batch=batch, input_spec=batch.spec)
    jobs = [ProxyJob(host.get("proxy", p).cls()) for p in proxies]
    cpu = {False: 0.0, True: 0.0}
    values: dict[bool, list] = {False: [], True: []}
    for r in range(rounds):
        for i, arch in enumerate(archs):
            for guard in (False, True) if (i + r) % 2 == 0 else (True, False):
                c0 = time.process_time()
                got = score_arch(setup, arch, jobs, guard=guard)
                cpu[guard] += time.process_time() - c0
                if r == 0:
                    values[guard] += [rec.value for _, rec in got]
    k = n * rounds
    differ = sum(a != b for a, b in zip(values[False], values[True]))
    return cpu[False] / k, cpu[True] / k, differ, len(values[True])


def run_wall(proxies: list[str], n: int, on: bool, store: Path) -> tuple[float, str]:
    from nas_harness.runner import compute_run

    sandbox(on)
    config = {
        "space": "nb201",
        "dataset": "cifar10",
        "proxies": proxies,
        "sample": {"mode": "random", "n": n, "seed": 0},
        "input": {"path": str(IMAGES), "batch_size": 16},
        "executor": "local",
        "workers": 1,
        "threads": 1,
        "bootstrap": 0,
    }
    t0 = time.perf_counter()
    outcome = compute_run(config, store_path=store, show_progress=False)
    wall = time.perf_counter() - t0
    return wall, ",".join(f"{v!r}" for p in proxies for v in outcome.tables[p].values)


def search_wall(proxies: list[str], budget: int, repeats: int, on: bool, store: Path) -> tuple[float, str]:
    from nas_harness.search_runner import compute_search

    sandbox(on)
    data = {
        "space": {"name": "nb201"},
        "datasets": ["cifar10"],
        "strategies": [
            {"name": "regularized_evolution", "config": {"population_size": 4, "tournament_size": 2}}
        ],
        "proxies": proxies,
        "budget": budget,
        "repeats": repeats,
        "input": {"path": str(IMAGES), "batch_size": 16},
        "threads": 1,
    }
    t0 = time.perf_counter()
    outcome = compute_search(data, source=None, store_path=store, show_progress=False, limits={"workers": 1})
    wall = time.perf_counter() - t0
    rows = ";".join(f"{r['arch']}:{r['score']!r}" for r in outcome.rows)
    return wall, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxies", default="params,synflow,naswot,grad_norm,snip,jacob_cov")
    ap.add_argument("--n", type=int, default=6, help="architectures (guards and run)")
    ap.add_argument("--rounds", type=int, default=2, help="passes over the architectures (guards)")
    ap.add_argument("--budget", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    proxies = [p.strip() for p in args.proxies.split(",") if p.strip()]
    table = Table(title=f"trust machinery off vs on (NB201 CIFAR-10, {', '.join(proxies)})")
    for col in ("what", "off", "on", "on/off", "same results"):
        table.add_column(col, justify="right")

    off, on, differ, total = guards(proxies, args.n, args.rounds)
    table.add_row(
        "state guard + RNG isolation, CPU s/arch",
        f"{off:.3f}",
        f"{on:.3f}",
        f"{on / off:.3f}",
        f"{total - differ}/{total} scores",
    )
    with tempfile.TemporaryDirectory(prefix="bench-trust-") as tmp:
        walls: dict[bool, list[float]] = {False: [], True: []}
        got: dict[bool, str] = {}
        for i, mode in enumerate((False, True, True, False)):  # off, on, on, off: fresh store each
            wall, values = run_wall(proxies, args.n, mode, Path(tmp) / f"run{i}.sqlite")
            walls[mode].append(wall)
            got[mode] = values
        a, b = min(walls[False]), min(walls[True])
        table.add_row(
            f"scoring sandbox, run wall s ({args.n} archs, 1 worker)",
            f"{a:.2f}",
            f"{b:.2f}",
            f"{b / a:.3f}",
            "yes" if got[False] == got[True] else "NO",
        )
        walls = {False: [], True: []}
        for i, mode in enumerate((False, True, True, False)):
            wall, rows = search_wall(proxies[:2], args.budget, args.repeats, mode, Path(tmp) / f"s{i}.sqlite")
            walls[mode].append(wall)
            got[mode] = rows
        a, b = min(walls[False]), min(walls[True])
        table.add_row(
            f"search, wall s (RE, budget {args.budget} × {args.repeats} repeats × {proxies[:2]})",
            f"{a:.2f}",
            f"{b:.2f}",
            f"{b / a:.3f}",
            "yes" if got[False] == got[True] else "NO",
        )
    sandbox(True)
    Console().print(table)


if __name__ == "__main__":
    main()
