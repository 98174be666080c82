"""Our proxies against the reference implementations' CPU cost, from one run (issue 17).

Workload: the NB201 cells ``random.Random(0).sample(range(15625), 100)`` (official indices; fewer
with ``--n``, the first n of that sample), one CIFAR-10 batch of 64 *training* images read by the
project's own loader (``nas_harness.inputs.load_batch``, split ``train``, seed 42), one torch
thread and one BLAS/OpenMP thread (``nas_harness.threads.pin_threads``). Per architecture, each
proxy alone (a fresh context: its own model and passes, as a user submitting one proxy pays),
then the eleven fused (one context; shared passes), interleaved so that load drift hits both.

Printed: CPU seconds per architecture (``time.process_time``: this process, all its threads)
beside the reference implementations' figures quoted in issue 17 (the reference code is not
vendored: that column is a constant of this file), ours/ref, and the achieved GFLOP/s of each
proxy (conv + matmul FLOPs counted with ``torch.utils.flop_counter`` on the first
``--flop-archs`` cells, over the CPU seconds of the same cells) against this machine's measured
single-thread conv and matmul peak. With a CUDA device, GPU seconds per architecture too
(``--device auto``, the default, adds them when ``torch.cuda.is_available()``).

    python benchmarks/bench_vs_reference.py                     # 100 cells (≈ 25 CPU min)
    python benchmarks/bench_vs_reference.py --n 10 --json out.json
    python benchmarks/bench_vs_reference.py --n 10 --save-scores before.json   # then, after a change:
    python benchmarks/bench_vs_reference.py --n 10 --compare before.json       # bit-identical?
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from nas_harness.threads import pin_threads

# CPU s/arch of the reference implementations, from issue 17 (same archs, batch, threads).
REFERENCE: dict[str, tuple[float, str]] = {
    "synflow": (0.277, "zero-cost-nas"),
    "snip": (0.778, "zero-cost-nas"),
    "grad_norm": (0.768, "zero-cost-nas"),
    "grasp": (3.395, "zero-cost-nas"),
    "fisher": (0.924, "zero-cost-nas"),
    "jacob_cov": (0.857, "zero-cost-nas"),
    "plain": (0.765, "zero-cost-nas"),
    "naswot": (1.166, "WRCor code"),
    "wrcor": (1.236, "WRCor code"),
    "rcor": (1.227, "WRCor code"),
    "acor": (0.932, "WRCor code"),
}
FUSED = "all 11 fused"
REFERENCE_SUM = round(sum(v for v, _ in REFERENCE.values()), 3)  # 12.325: the 12.33
NB201_SIZE = 15625
SHARED_IMAGES = "data/images/cifar10_sample.npz"


def sample_indices(n: int) -> list[int]:
    return (
        random.Random(0).sample(range(NB201_SIZE), 100)[:n]
        if n <= 100
        else random.Random(0).sample(range(NB201_SIZE), n)
    )


def load_inputs(args, space):
    """The project's loader on the given file/folder, else the shared CIFAR-10 sample, else noise."""
    from nas_harness.api import shared_path
    from nas_harness.inputs import InputConfig, load_batch

    data = args.data
    if data is None:
        candidate = shared_path(SHARED_IMAGES)
        data = candidate if candidate.exists() else None
    config = (
        InputConfig(path=data, batch_size=64, split="train", seed=42) if data else InputConfig(batch_size=64)
    )
    return load_batch(config, space.dataset("cifar10"))


def measured_peaks(repeats: int = 5) -> dict[str, float]:
    """Best single-thread GFLOP/s (CPU time) of a large sgemm and of NB201-shaped 3x3 convolutions."""
    import torch
    import torch.nn.functional as F

    def best(fn, flops: float) -> float:
        fn()
        rates = []
        for _ in range(repeats):
            c0 = time.process_time()
            fn()
            rates.append(flops / max(time.process_time() - c0, 1e-9) / 1e9)
        return max(rates)

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1024, 1024, generator=g), torch.randn(1024, 1024, generator=g)
    peaks = {"matmul 1024^3": best(lambda: a @ b, 2 * 1024**3)}
    for c, hw in ((16, 32), (32, 16), (64, 8)):  # NB201's three stages at batch 64
        x, w = torch.randn(64, c, hw, hw, generator=g), torch.randn(c, c, 3, 3, generator=g)
        peaks[f"conv3x3 {c}ch {hw}x{hw} b64"] = best(
            lambda x=x, w=w: F.conv2d(x, w, padding=1), 2 * 64 * c * c * 9 * hw * hw
        )
    return peaks


def counted_flops(setup, arch: str, jobs) -> float:
    """Conv/matmul FLOPs (forward and backward) of scoring ``arch`` with ``jobs`` together."""
    from torch.utils.flop_counter import FlopCounterMode

    from nas_harness.scoring import score_arch

    with FlopCounterMode(display=False) as counter:
        score_arch(setup, arch, jobs)
    return float(counter.get_total_flops())


def run_device(setup, archs, jobs, names, *, flop_archs: int, label: str, sync=None):
    """Per-arch seconds for each proxy alone and the fused eleven; scores; FLOPs on the first cells."""
    from nas_harness.scoring import score_arch

    clock = time.process_time if sync is None else time.perf_counter
    secs = dict.fromkeys([*names, FUSED], 0.0)
    flop_secs = dict.fromkeys([*names, FUSED], 0.0)
    flops = dict.fromkeys([*names, FUSED], 0.0)
    scores: dict[str, dict[str, float | None]] = {k: {} for k in [*names, FUSED]}
    failures: dict[str, str] = {}
    for i, arch in enumerate(archs):
        for name, job in zip(names, jobs):
            c0 = clock()
            ((_, rec),) = score_arch(setup, arch, [job])
            if sync is not None:
                sync()
            dt = clock() - c0
            secs[name] += dt
            if i < flop_archs:
                flop_secs[name] += dt
            scores[name][arch] = rec.value
            if rec.status != "ok":
                failures.setdefault(name, f"{arch}: {rec.reason}")
        c0 = clock()
        recs = score_arch(setup, arch, jobs)
        if sync is not None:
            sync()
        dt = clock() - c0
        secs[FUSED] += dt
        if i < flop_archs:
            flop_secs[FUSED] += dt
        for name, (_, rec) in zip(names, recs):
            scores[FUSED][f"{name}|{arch}"] = rec.value
        print(
            f"\r{label}: {i + 1}/{len(archs)} archs, fused {secs[FUSED] / (i + 1):.3f} s/arch",
            end="",
            flush=True,
        )
    print()
    if sync is None:  # FLOPs once, on CPU (the count does not depend on the device)
        for arch in archs[:flop_archs]:
            for name, job in zip(names, jobs):
                flops[name] += counted_flops(setup, arch, [job])
    return secs, flop_secs, flops, scores, failures


def compare_scores(mine: dict, theirs: dict) -> dict[str, str]:
    """Per proxy: 'identical' when every shared key's value is bit-equal, else how many differ."""
    out = {}
    for name, values in mine.items():
        old = theirs.get(name, {})
        keys = [k for k in values if k in old]
        differ = [
            k
            for k in keys
            if not (
                values[k] == old[k]
                or (values[k] is None and old[k] is None)
                or (
                    isinstance(values[k], float)
                    and isinstance(old[k], float)
                    and math.isnan(values[k])
                    and math.isnan(old[k])
                )
            )
        ]
        out[name] = (
            f"identical on {len(keys)}"
            if not differ
            else f"{len(differ)} of {len(keys)} differ (e.g. {differ[0]})"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="architectures (the first n of the issue's sample)")
    ap.add_argument("--proxies", default=",".join(REFERENCE), help="comma-separated; default the eleven")
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help="images (.npz or CIFAR-10 batches folder); default: the shared CIFAR-10 sample",
    )
    ap.add_argument("--flop-archs", type=int, default=5, help="cells whose FLOPs are counted (0: skip)")
    ap.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="cuda: also time on the GPU (refused without one); auto: when one is present",
    )
    ap.add_argument("--json", type=Path, help="write every figure here")
    ap.add_argument("--save-scores", type=Path, help="write the scores (alone and fused) here")
    ap.add_argument("--compare", type=Path, help="check the scores bit for bit against a --save-scores file")
    args = ap.parse_args()

    pinned = pin_threads(1)
    import torch
    from rich.console import Console
    from rich.table import Table

    from nas_harness.environment import cpu_name
    from nas_harness.host import PluginHost
    from nas_harness.scoring import ProxyJob, ScoringSetup

    console = Console(width=160)
    host = PluginHost.discover()
    space = host.get("space", "nb201").cls()
    archs = [space.arch(i) for i in sample_indices(args.n)]
    names = [p.strip() for p in args.proxies.split(",") if p.strip()]
    jobs = [ProxyJob(host.get("proxy", n).cls()) for n in names]
    batch = load_inputs(args, space)
    console.print(f"inputs: {batch.spec} ({batch.source}); threads: {pinned}", highlight=False, markup=False)
    setup = ScoringSetup(space=space, dataset="cifar10", batch=batch, input_spec=batch.spec)

    peaks = measured_peaks()
    cpu, flop_cpu, flops, scores, failures = run_device(
        setup, archs, jobs, names, flop_archs=min(args.flop_archs, len(archs)), label="cpu"
    )
    gpu = None
    gpu_note = "not requested"
    if args.device in ("auto", "cuda"):
        if torch.cuda.is_available():
            gsetup = ScoringSetup(
                space=space, dataset="cifar10", batch=batch, input_spec=batch.spec, device="cuda"
            )
            gpu, *_ = run_device(
                gsetup, archs, jobs, names, flop_archs=0, label="cuda", sync=torch.cuda.synchronize
            )
            gpu_note = torch.cuda.get_device_name(0)
        elif args.device == "cuda":
            raise SystemExit("--device cuda: torch.cuda.is_available() is False on this machine")
        else:
            gpu_note = "no CUDA device (torch.cuda.is_available() is False)"

    n, k = len(archs), min(args.flop_archs, len(archs))
    peak = max(peaks.values())
    t = Table(
        title_justify="left",
        title=f"CPU s/arch on {n} NB201 cells (random.Random(0) sample), {batch.spec}, 1 torch + 1 BLAS thread",
    )
    cols = ["proxy", "ours alone", "reference", "ref code", "ours / ref", "GFLOP/arch", "GFLOP/s", "of peak"]
    if gpu is not None:
        cols.append("GPU s/arch")
    for col in cols:
        t.add_column(col, justify="left" if col == "proxy" else "right")
    rows = {}
    for name in [*names, FUSED]:
        ref, source = (REFERENCE_SUM, "sum") if name == FUSED else REFERENCE.get(name, (float("nan"), "?"))
        ours = cpu[name] / n
        counted = (
            bool(k) and name != FUSED
        )  # the fused count is not reported: it came out below GraSP's alone
        rate = flops[name] / flop_cpu[name] / 1e9 if counted and flop_cpu[name] > 0 else float("nan")
        rows[name] = {
            "ours_cpu_s": ours,
            "reference_cpu_s": ref,
            "reference": source,
            "ratio": ours / ref,
            "gflop_per_arch": flops[name] / k / 1e9 if counted else None,
            "gflops": rate,
            "gpu_s": gpu[name] / n if gpu is not None else None,
        }
        row = [
            name,
            f"{ours:.3f}",
            f"{ref:.3f}",
            source,
            f"{ours / ref:.2f}",
            f"{flops[name] / k / 1e9:.2f}" if counted else "-",
            f"{rate:.1f}" if counted else "-",
            f"{rate / peak:.0%}" if counted else "-",
        ]
        if gpu is not None:
            row.append(f"{gpu[name] / n:.4f}")
        if name == FUSED:
            t.add_section()
        t.add_row(*row)
    console.print(t)
    console.print(
        "measured single-thread peaks (GFLOP/s, best of 5, CPU time): "
        + ", ".join(f"{k_}: {v:.1f}" for k_, v in peaks.items()),
        highlight=False,
    )
    hours = cpu[FUSED] / n * NB201_SIZE / 2 / 3600
    console.print(
        f"whole NB201 space x the eleven fused, 2 single-thread workers on 2 cores: {hours:.2f} h "
        f"({cpu[FUSED] / n:.3f} CPU s/arch x {NB201_SIZE} / 2 cores; assumes the cores are free)",
        highlight=False,
    )
    console.print(f"GPU: {gpu_note}", highlight=False)
    for name, why in failures.items():
        console.print(f"[yellow]failed:[/] {name}: {why}", highlight=False)
    console.print(
        f"CPU: {cpu_name()}; load average at the end: {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}",
        highlight=False,
    )
    if args.compare:
        for name, verdict in compare_scores(scores, json.loads(args.compare.read_text())).items():
            console.print(f"scores vs {args.compare.name}: {name}: {verdict}", highlight=False)
    if args.save_scores:
        args.save_scores.write_text(json.dumps(scores))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "n": n,
                    "inputs": batch.spec,
                    "rows": rows,
                    "peaks_gflops": peaks,
                    "whole_space_hours_2_cores": hours,
                    "gpu": gpu_note,
                    "failures": failures,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
