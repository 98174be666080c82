"""P2 memory: peak and steady RSS of a full-space correlation run (all 15,625 NB201 archs).

Runs ``nash run --sample all`` in a subprocess (default proxies sed and params, a fresh store)
and samples its resident set size from /proc every few seconds while the store fills, so a
growing footprint (a model or probe kept per architecture) would show as a rising line. With
``--executor local`` the driver's worker processes are sampled too (targets: driver < 1.5 GB,
each worker < 2 GB).

    python benchmarks/bench_fullspace_rss.py [--proxies sed,params] [--truth ../shared/...csv]
    python benchmarks/bench_fullspace_rss.py --executor local --workers 2

Measured on the 2-core shared machine (sed,params; 1 torch thread; 31,250 scores in 31 min):
RSS 458 MB after start-up, 497-499 MB from the first thousand scores to the last (flat), peak
631 MB during the summaries at the end (bootstrap CIs, paired tests, score groups).

With ``--executor local --workers 2`` (params scored by the two workers, sed batched in the
driver; 31,250 scores in 25 min on the same machine under a load average of 11-20): driver RSS
346-489 MB, peak 494 MB; each worker's peak 240 MB, flat from its first hundred archs.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nas_harness.api import shared_dir


def rss_kb(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxies", default="sed,params")
    ap.add_argument("--truth", type=Path, default=shared_dir() / "data/nb201/nats_tss_test_acc_200ep.csv")
    ap.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--executor", default="inline", choices=["inline", "local"])
    ap.add_argument("--workers", type=int, default=2, help="with --executor local")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nash-rss-"))
    store = work / "scores.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "nas_harness.cli",
        "run",
        "--space",
        "nb201",
        "--proxies",
        args.proxies,
        "--sample",
        "all",
        "--bootstrap",
        "200",
        "--threads",
        "1",
        "--oracle",
        "table",
        "--oracle-opt",
        f"path={args.truth}",
        "--oracle-opt",
        "metric_column=CIFAR10TestAccuracy200Epochs",
        "--store",
        str(store),
        "--out",
        str(work / "out"),
        "--quiet",
        "--executor",
        args.executor,
    ]
    if args.executor == "local":
        cmd += ["--workers", str(args.workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples = []
    worker_peak: dict[int, int] = {}  # pid -> last VmHWM seen (KB)
    started = time.time()
    while proc.poll() is None:
        try:
            rss, hwm = rss_kb(proc.pid)
        except (FileNotFoundError, ProcessLookupError, KeyError):
            break
        try:
            done = sqlite3.connect(store, timeout=1).execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        except sqlite3.Error:
            done = 0
        workers = {}
        for child in children(proc.pid):
            try:
                workers[child] = rss_kb(child)
            except (FileNotFoundError, ProcessLookupError, KeyError):
                continue
            worker_peak[child] = workers[child][1]
        samples.append((time.time() - started, done, rss, hwm))
        shown = "  ".join(f"{w[0] / 1024:.0f}" for w in workers.values())
        print(
            f"{samples[-1][0]:7.0f} s  {done:6d} scores  driver RSS {rss / 1024:6.0f} MB  peak {hwm / 1024:6.0f} MB"
            + (f"  workers RSS {shown} MB" if workers else ""),
            flush=True,
        )
        time.sleep(args.every)
    proc.wait()
    if proc.returncode:
        print(proc.stderr.read() if proc.stderr else "", file=sys.stderr)
        sys.exit(proc.returncode)
    scoring = [s for s in samples if s[1] > 0]
    if scoring:
        rss = [s[2] / 1024 for s in scoring]
        print(
            f"while scoring: RSS {min(rss):.0f}-{max(rss):.0f} MB over {len(scoring)} samples; "
            f"peak {max(s[3] for s in samples) / 1024:.0f} MB; {time.time() - started:.0f} s; results in {work}"
        )
    if worker_peak:
        print(
            f"workers: {len(worker_peak)} processes, peak RSS {max(worker_peak.values()) / 1024:.0f} MB "
            f"(each: {', '.join(f'{v / 1024:.0f}' for v in worker_peak.values())} MB)"
        )


if __name__ == "__main__":
    main()
