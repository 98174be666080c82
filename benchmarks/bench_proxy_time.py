"""CPU time per architecture of each proxy on NB201, through the real engine.

Each proxy is timed alone (its own engine call on a fresh store, so nothing is shared or
cached between proxies) on the same N architectures, batch, init and thread count. Prints a
table with wall and CPU seconds per architecture and the ratio to the fastest
data-dependent proxy.

    python benchmarks/bench_proxy_time.py --n 20 --threads 1 --proxies synflow,naswot,wrcor
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from nas_harness.engine import Engine, ProxyJob, ScoringSetup
from nas_harness.host import PluginHost
from nas_harness.inputs import InputConfig, load_batch
from nas_harness.store import ScoreStore

DEFAULT = "params,flops,sed,synflow,snip,grad_norm,jacob_cov,naswot"
SHARED_IMAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "images" / "cifar10_sample.npz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxies", default=DEFAULT)
    ap.add_argument("--n", type=int, default=20, help="architectures per proxy")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--data", type=Path, default=SHARED_IMAGES if SHARED_IMAGES.exists() else None)
    ap.add_argument("--seed", type=int, default=0, help="seed of the architecture sample")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    host = PluginHost.discover()
    space = host.get("space", "nb201").cls()
    archs = space.sample(args.n, np.random.default_rng(args.seed))
    batch = load_batch(
        InputConfig(path=args.data, batch_size=args.batch_size), space.dataset(args.dataset)
    )
    rows = []
    for name in [p.strip() for p in args.proxies.split(",") if p.strip()]:
        info = host.get("proxy", name)
        job = ProxyJob(info.cls())
        with tempfile.TemporaryDirectory() as tmp:
            setup = ScoringSetup(space=space, dataset=args.dataset, batch=batch, input_spec=batch.spec)
            engine = Engine(setup, ScoreStore(Path(tmp) / "s.sqlite"))
            t0, c0 = time.perf_counter(), time.process_time()
            table = engine.score([job], archs)[name]
            wall = (time.perf_counter() - t0) / len(archs)
            cpu = (time.process_time() - c0) / len(archs)
            engine.store.close()
        rows.append((name, wall, cpu, len(table.failures), job.topology_only))

    data_dependent = [r[1] for r in rows if not r[4]]
    base = min(data_dependent) if data_dependent else 1.0
    t = Table(title=f"proxy time per NB201 arch ({args.dataset}, batch {args.batch_size}, "
                    f"torch threads {args.threads}, n={args.n}, input {batch.kind})")
    for col in ("proxy", "wall s/arch", "CPU s/arch", "× fastest model-based", "failed"):
        t.add_column(col, justify="right" if col != "proxy" else "left")
    for name, wall, cpu, failed, _ in rows:
        t.add_row(name, f"{wall:.4f}", f"{cpu:.4f}", f"{wall / base:.2f}", str(failed))
    Console().print(t)
    by_name = {r[0]: r for r in rows}
    if "wrcor" in by_name and "naswot" in by_name:  # issue 3's bound: WRCor ≤ 2× NASWOT at equal batch
        w, n = by_name["wrcor"], by_name["naswot"]
        slowest = max(rows, key=lambda r: r[1])[0]
        Console().print(f"wrcor / naswot: wall {w[1] / n[1]:.2f}×, CPU {w[2] / n[2]:.2f}× (slowest proxy: {slowest})")
    Console().print(f"CPU: {__import__('nas_harness.environment', fromlist=['cpu_name']).cpu_name()}")


if __name__ == "__main__":
    main()
