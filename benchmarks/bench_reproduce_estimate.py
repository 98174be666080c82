"""``nash reproduce --list``'s time estimate against the measured wall time of the same command (issue 18).

For each reproduction (the default set: the ones a user can run in minutes, whole-space ones
included, plus ``--n`` subsets of expensive ones), in a fresh store: the estimate exactly as the
listing computes it, then ``nash reproduce SUITE`` as a subprocess (the command a user times, CLI
start-up included), its wall seconds, and the ratio. The goal is every ratio within 0.5-2.

    python benchmarks/bench_reproduce_estimate.py                       # the default set
    python benchmarks/bench_reproduce_estimate.py sed-t2-tss:proxies=sed wrcor-t7-nb101:n=20
    python benchmarks/bench_reproduce_estimate.py --json out.json

A ``SUITE:n=N`` item runs the first N architectures of each run (``--n N``), ``SUITE:proxies=a,b``
only those rows (``--proxies``). In fresh stores every rate is the built-in default by what a
proxy needs (a user's first run); with ``--store`` later items read the CPU rates earlier items
recorded, which is how a user's store learns.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = (
    "sed-text-nb301",
    "ftscorenet-t1-macro:n=60",
    "sed-t2-tss:proxies=sed",
    "sed-groups-tss",
    "eproxy-t2-nb101:n=40",
    "wrcor-t2-code:n=40",
    "zc-nas-full:n=60",
)


def parse(item: str) -> tuple[str, int | None, list[str] | None]:
    """``SUITE[:n=N][:proxies=a,b]`` → (suite, n, proxies)."""
    name, *opts = item.split(":")
    given = dict(opt.split("=", 1) for opt in opts)
    n = int(given["n"]) if "n" in given else None
    return name, n, given["proxies"].split(",") if "proxies" in given else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("items", nargs="*", default=list(DEFAULT), help="SUITE[:n=N][:proxies=a,b]")
    ap.add_argument(
        "--workers", type=int, default=None, help="as nash reproduce --workers (default: its own)"
    )
    ap.add_argument("--json", type=Path, help="write the rows here")
    ap.add_argument(
        "--store", type=Path, help="one store for every item (default: a fresh store per item in a temp dir)"
    )
    args = ap.parse_args()

    from rich.console import Console
    from rich.table import Table

    from nas_harness.api.suites import ReproOptions
    from nas_harness.host import PluginHost
    from nas_harness.repro_estimate import estimate
    from nas_harness.suites import catalog

    console = Console(width=140)
    host = PluginHost.discover()
    suites = catalog(host)
    rows = []
    with tempfile.TemporaryDirectory(prefix="nash-est-") as tmp:
        for i, item in enumerate(args.items):
            name, n, proxies = parse(item)
            store = args.store or Path(tmp) / f"store-{i}.sqlite"
            options = ReproOptions(n=n, proxies=proxies, workers=args.workers)
            est = estimate(suites.reproduction(name), options, store_path=store, host=host)
            cmd = [sys.executable, "-m", "nas_harness.cli", "reproduce", name, "--store", str(store)]
            cmd += ["--out", str(Path(tmp) / f"out-{i}"), "--quiet"]
            cmd += ["--n", str(n)] if n else []
            cmd += ["--proxies", ",".join(proxies)] if proxies else []
            cmd += ["--workers", str(args.workers)] if args.workers else []
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "COLUMNS": "160"})
            wall = time.perf_counter() - t0
            row = {
                "item": item,
                "scores": est.scores_pending,
                "estimate_s": round(est.seconds, 1),
                "measured_s": round(wall, 1),
                "ratio": round(est.seconds / wall, 2) if wall else None,
                "rc": proc.returncode,
                "parts": {k: round(v, 1) for k, v in est.parts.items()},
            }
            if proc.returncode:
                row["error"] = proc.stderr.strip().splitlines()[-1:]
            rows.append(row)
            console.print(row, highlight=False)
    table = Table(title="nash reproduce --list estimate vs measured wall time (fresh stores)")
    for col in ("reproduction", "scores", "estimate s", "measured s", "estimate / measured", "parts (s)"):
        table.add_column(col, justify="left" if col in ("reproduction", "parts (s)") else "right")
    for r in rows:
        ok = r["ratio"] is not None and 0.5 <= r["ratio"] <= 2 and r["rc"] == 0
        table.add_row(
            r["item"],
            f"{r['scores']:,}",
            f"{r['estimate_s']:.1f}",
            f"{r['measured_s']:.1f}" + ("" if r["rc"] == 0 else f" (rc {r['rc']})"),
            f"[{'green' if ok else 'red'}]{r['ratio']}[/]",
            ", ".join(f"{k} {v}" for k, v in r["parts"].items()),
        )
    console.print(table)
    console.print(
        f"cpu: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end", highlight=False
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
