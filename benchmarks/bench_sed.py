"""Time SED over the whole NB201 space (15,625 architectures) and compare with the paper.

The paper (Wu et al. 2024, arXiv:2411.06236) reports 3.4e-5 s per architecture on NATS-TSS,
on one CPU core. This script times, separately:

* building the topology descriptors, ``NB201Space.topology(arch, dataset)`` for every
  architecture. The first pass is cold; later passes hit the space's own cache;
* scoring them, one vectorised ``SED.score_topologies`` call (best of ``--repeat``).

Both wall-clock and process CPU time are shown; on a busy machine CPU time is the fairer
number. It also prints the argmax set.

    python benchmarks/bench_sed.py [--dataset cifar10] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import replace

import numpy as np
from rich.console import Console
from rich.table import Table

from nas_harness.api import Topology
from nas_harness.plugins.proxies.sed import PAPER_SECONDS_PER_ARCH, SED
from nas_harness.plugins.spaces.nb201 import NB201Space
from nas_harness.plugins.spaces.nb201.topology import OP_INFO


def with_candidates(topology: Topology) -> Topology:
    """The same topology with every NB201 op listed in each cell, count 0 when unused."""
    blocks, listed = [], {}
    for b in topology.blocks:
        if b.searchable:
            if id(b.ops) not in listed:  # the cells share one op list, as in the space
                have = {op.name: n for op, n in b.ops}
                listed[id(b.ops)] = tuple((op, have.get(op.name, 0)) for op in OP_INFO)
            b = replace(b, ops=listed[id(b.ops)])
        blocks.append(b)
    return Topology(tuple(blocks))


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--with-candidates",
        action="store_true",
        help="add the unused NB201 ops to every cell at count 0 (sed.md §2.3's reading of O_1)",
    )
    args = parser.parse_args()

    space, proxy = NB201Space(), SED()
    n = space.size()
    archs, enum_wall, enum_cpu = timed(lambda: [space.arch(i) for i in range(n)])
    topologies, cold_wall, cold_cpu = timed(lambda: [space.topology(a, args.dataset) for a in archs])
    warm = [timed(lambda: [space.topology(a, args.dataset) for a in archs]) for _ in range(args.repeat)]
    if args.with_candidates:
        topologies = [with_candidates(t) for t in topologies]
    runs = [timed(lambda: proxy.score_topologies(topologies)) for _ in range(args.repeat)]
    values = runs[0][0]
    score_wall = min(r[1] for r in runs)
    score_cpu = min(r[2] for r in runs)
    warm_wall, warm_cpu = min(w[1] for w in warm), min(w[2] for w in warm)

    listed = ", candidates listed" if args.with_candidates else ""
    table = Table(
        title=f"SED on all {n:,} NB201 architectures ({args.dataset}{listed}), seconds per architecture"
    )
    for col in ("stage", "wall s/arch", "CPU s/arch", "paper s/arch", "paper / ours (CPU)"):
        table.add_column(col, justify="right" if col != "stage" else "left")
    rows = [
        ("enumerate arch strings", enum_wall, enum_cpu, False),
        ("build topologies (cold)", cold_wall, cold_cpu, False),
        ("build topologies (cached)", warm_wall, warm_cpu, False),
        (f"score (best of {args.repeat})", score_wall, score_cpu, True),
        ("cold topologies + score", cold_wall + score_wall, cold_cpu + score_cpu, True),
    ]
    for stage, wall, cpu, compare in rows:
        table.add_row(
            stage,
            f"{wall / n:.2e}",
            f"{cpu / n:.2e}",
            f"{PAPER_SECONDS_PER_ARCH:.1e}" if compare else "",
            f"{PAPER_SECONDS_PER_ARCH / (cpu / n):.1f}×" if compare else "",
        )
    console = Console(width=max(Console().width, 110))
    console.print(table)

    best = np.flatnonzero(values == values.max())
    counts = Counter(
        tuple(sorted(Counter(p.split("~")[0] for p in archs[i].replace("+", "|").split("|") if p).items()))
        for i in best
    )
    console.print(
        f"argmax SED = {values.max():.6f}: {len(best)} architectures, indices {best.tolist()[:12]}"
        f"{' …' if len(best) > 12 else ''}; 9930 in set: {9930 in best}"
    )
    for key, count in counts.most_common():
        console.print(f"  {count:4d} × {dict(key)}")


if __name__ == "__main__":
    main()
