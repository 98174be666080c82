"""The shared-state guard's cost and its effect on scores, NB201, every per-arch proxy fused.

For each architecture, every proxy is scored in one ``score_arch`` call (one context, shared
probes) with the guard off and on (``score_arch(..., guard=False/True)``), alternating which goes first so
the machine's load hits both alike. Prints per-arch CPU and wall of both, the overhead, and how
many (proxy, arch) scores differ between the two (must be 0: the guard only watches). ``--dump
FILE`` writes every score (float.hex) so that two checkouts can be compared bit for bit
(``--compare FILE``), which is how "honest proxies score the same before and after the guard"
is checked.

    python benchmarks/bench_state_guard.py --n 5 --threads 1
    python benchmarks/bench_state_guard.py --n 5 --dump /tmp/before.json    # on the old checkout
    python benchmarks/bench_state_guard.py --n 5 --compare /tmp/before.json # on the new one
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
from pathlib import Path

from nb201_workload import add_workload_args, workload
from rich.console import Console
from rich.table import Table

from nas_harness.api import Combinator
from nas_harness.scoring import ProxyJob, ScoringSetup, score_arch

GUARDED = "guard" in inspect.signature(score_arch).parameters  # False on checkouts before the guard


def per_arch_proxies(host) -> str:
    """Every installed proxy that scores one NB201 architecture (no combinators, no topology-only)."""
    names = []
    for name in host.names("proxy"):
        cls = host.get("proxy", name).cls
        if issubclass(cls, Combinator) or set(cls.needs) == {"topology"}:
            continue
        names.append(name)
    return ",".join(names)


def score_once(setup, arch, jobs, guard: bool) -> tuple[dict[str, str], float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    got = score_arch(setup, arch, jobs, guard=guard) if GUARDED else score_arch(setup, arch, jobs)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    values = {
        key.proxy: (rec.value.hex() if rec.value is not None else f"{rec.status}: {rec.reason}")
        for key, rec in got
    }
    return values, wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_workload_args(ap, proxies="", n=5, n_help="architectures")
    ap.add_argument("--dump", type=Path, help="write every score (guard on) to this JSON file")
    ap.add_argument("--compare", type=Path, help="compare the scores (guard on) with a --dump file")
    ap.add_argument("--off-only", action="store_true", help="score without the guard only (old checkouts)")
    args = ap.parse_args()
    from nas_harness.host import PluginHost

    if not args.proxies:
        args.proxies = per_arch_proxies(PluginHost.discover())
    w = workload(args)
    jobs = [ProxyJob(w.host.get("proxy", n).cls()) for n in w.names]
    setup = ScoringSetup(space=w.space, dataset=args.dataset, batch=w.batch, input_spec=w.batch.spec)
    modes = [False] if args.off_only or not GUARDED else [False, True]
    wall = dict.fromkeys(modes, 0.0)
    cpu = dict.fromkeys(modes, 0.0)
    scores: dict[bool, dict[str, dict[str, str]]] = {m: {} for m in modes}
    for i, arch in enumerate(w.archs):
        for guard in modes if i % 2 == 0 else modes[::-1]:
            values, dw, dc = score_once(setup, arch, jobs, guard)
            scores[guard][arch] = values
            wall[guard] += dw
            cpu[guard] += dc
        print(f"\r{i + 1}/{len(w.archs)} archs", end="", flush=True)
    print()
    n = len(w.archs)
    t = Table(title=f"state guard on {n} NB201 archs x {len(jobs)} proxies, fused (threads {args.threads})")
    for col in ("guard", "CPU s/arch", "wall s/arch"):
        t.add_column(col, justify="right")
    for m in modes:
        t.add_row("on" if m else "off", f"{cpu[m] / n:.3f}", f"{wall[m] / n:.3f}")
    Console().print(t)
    final = scores[modes[-1]]
    if len(modes) == 2:
        print(f"overhead: CPU {cpu[True] / cpu[False] - 1:+.2%}, wall {wall[True] / wall[False] - 1:+.2%}")
        diff = [(a, p) for a in final for p in final[a] if scores[False][a][p] != final[a][p]]
        print(f"scores differing between guard off and on: {len(diff)} of {n * len(jobs)} {diff[:5]}")
    failed = sorted(
        {f"{p}: {v}" for a in final for p, v in final[a].items() if not v.startswith(("0x", "-0x"))}
    )
    print(f"not ok: {failed}")
    if args.dump:
        args.dump.write_text(json.dumps(final, indent=1, sort_keys=True))
    if args.compare:
        before = json.loads(args.compare.read_text())
        same = sum(before[a][p] == final[a][p] for a in before for p in before[a] if p in final.get(a, {}))
        total = sum(len(v) for v in before.values())
        diff = [
            (a, p, before[a][p], final.get(a, {}).get(p))
            for a in before
            for p in before[a]
            if final.get(a, {}).get(p) != before[a][p]
        ]
        print(f"bit-identical to {args.compare}: {same} of {total}; differing: {diff[:5]}")


if __name__ == "__main__":
    main()
