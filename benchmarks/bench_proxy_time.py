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

from nb201_workload import add_workload_args, workload
from rich.console import Console
from rich.table import Table

from nas_harness.engine import Engine
from nas_harness.scoring import ProxyJob, ScoringSetup
from nas_harness.store import ScoreStore

DEFAULT = "params,flops,sed,synflow,snip,grad_norm,jacob_cov,naswot"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_workload_args(ap, proxies=DEFAULT, n=20, n_help="architectures per proxy")
    args = ap.parse_args()

    w = workload(args)
    host, space, archs, batch = w.host, w.space, w.archs, w.batch
    rows = []
    for name in w.names:
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
    t = Table(
        title=f"proxy time per NB201 arch ({args.dataset}, batch {args.batch_size}, "
        f"torch threads {args.threads}, n={args.n}, input {batch.kind})"
    )
    for col in ("proxy", "wall s/arch", "CPU s/arch", "× fastest model-based", "failed"):
        t.add_column(col, justify="right" if col != "proxy" else "left")
    for name, wall, cpu, failed, _ in rows:
        t.add_row(name, f"{wall:.4f}", f"{cpu:.4f}", f"{wall / base:.2f}", str(failed))
    Console().print(t)
    by_name = {r[0]: r for r in rows}
    if "wrcor" in by_name and "naswot" in by_name:  # issue 3's bound: WRCor ≤ 2× NASWOT at equal batch
        w, n = by_name["wrcor"], by_name["naswot"]
        slowest = max(rows, key=lambda r: r[1])[0]
        Console().print(
            f"wrcor / naswot: wall {w[1] / n[1]:.2f}×, CPU {w[2] / n[2]:.2f}× (slowest proxy: {slowest})"
        )
    Console().print(f"CPU: {__import__('nas_harness.environment', fromlist=['cpu_name']).cpu_name()}")


if __name__ == "__main__":
    main()
