"""Cost of the Landlock sandbox: time to apply it in a fresh process, and the time of a burst of
file opens/imports inside it vs outside (python benchmarks/bench_sandbox.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from nas_harness import sandbox
    t0 = time.perf_counter()
    if sys.argv[1] == "on":
        sandbox.restrict(sandbox.scoring_roots(), sandbox.oracle_data_dirs())
    apply_s = time.perf_counter() - t0
    files = [p for p in Path(os.path.dirname(os.__file__)).glob("*.py")][:200]
    t0 = time.perf_counter()
    for _ in range(10):
        for f in files:
            f.read_bytes()
    opens_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    import torch  # noqa: F401
    import_s = time.perf_counter() - t0
    print(apply_s, opens_s / (10 * len(files)), import_s)
""")


def main() -> None:
    rows = {}
    for mode in ("off", "on"):
        runs = [
            list(
                map(
                    float,
                    subprocess.run(
                        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True
                    ).stdout.split(),
                )
            )
            for _ in range(3)
        ]
        rows[mode] = [min(r[i] for r in runs) for i in range(3)]
    print("| sandbox | apply (ms) | open+read of a stdlib file (µs) | import torch (s) |")
    print("|---|---:|---:|---:|")
    for mode, (apply_s, open_s, import_s) in rows.items():
        print(f"| {mode} | {apply_s * 1e3:.2f} | {open_s * 1e6:.1f} | {import_s:.2f} |")


if __name__ == "__main__":
    main()
