"""NASWOT's best-of-N protocol on NAS-Bench-201 CIFAR-10 with ``nash search``: not a test.

Mellor et al. ("Neural Architecture Search without Training", ICML 2021) sample N random
architectures, keep the one with the highest NASWOT score and report its CIFAR-10 test accuracy
as mean ± std over many runs (N = 10 and N = 100). This is ``nash search --strategy random
--proxies naswot --budget N`` repeated ``--runs`` times (seeds 0, 1, …), against the 200-epoch
test accuracy of ``shared/data/nb201/nats_tss_test_acc_200ep.csv``, with a batch of real
CIFAR-10 images (``shared/data/images/cifar10_sample.npz``).

Published anchors: N = 10, C10 test 91.58 ± 1.70 (the value our brief cites); WRCor's Table 9
cites NASWOT at 91.78 ± 1.45 without stating N. Scores go through the score store, so runs
that share architectures compute them once.

    python benchmarks/repro_naswot_best_of_n.py --ns 10,100 --runs 100
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from nas_harness.api import shared_dir
from nas_harness.leaderboard.search_schema import SearchResult
from nas_harness.search_runner import execute_search

SHARED = shared_dir()  # $NASH_SHARED_DIR, else ../shared of the current folder
PUBLISHED = {10: (91.58, 1.70)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ns", default="10,100", help="comma-separated N (architectures per search)")
    p.add_argument(
        "--runs", type=int, default=100, help="searches per N (the paper used many; 500 is common)"
    )
    p.add_argument("--proxy", default="naswot")
    p.add_argument("--batch-size", type=int, default=None, help="input batch size (default: the harness's)")
    p.add_argument("--store", type=Path)
    p.add_argument("--out", type=Path, default=Path("nash-results/naswot-best-of-n"))
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)

    truth = SHARED / "data/nb201/nats_tss_test_acc_200ep.csv"
    images = SHARED / "data/images/cifar10_sample.npz"
    for f in (truth, images):
        if not f.is_file():
            print(f"needs {f}", file=sys.stderr)
            return 2
    table = Table(
        title=f"NASWOT best-of-N on NB201 CIFAR-10 ({args.runs} runs each); test accuracy %",
        title_justify="left",
    )
    for col in ("N", "ours", "rank (mean)", "best explored", "published"):
        table.add_column(col, justify="right")
    for n in [int(x) for x in args.ns.split(",") if x.strip()]:
        inp = {"path": str(images)}
        if args.batch_size:
            inp["batch_size"] = args.batch_size
        cfg = {
            "strategies": ["random"],
            "proxies": [args.proxy],
            "datasets": ["cifar10"],
            "budget": n,
            "repeats": args.runs,
            "seed": 0,
            "threads": args.threads,
            "input": inp,
            "oracle": {
                "name": "table",
                "config": {"path": str(truth), "metric_column": "CIFAR10TestAccuracy200Epochs"},
            },
        }
        out = args.out / f"n{n}"
        rc = execute_search(
            cfg, source=None, store_path=args.store, out_dir=out, show_progress=not args.quiet
        )
        if rc:
            return rc
        cell = SearchResult.model_validate_json(
            max(out.glob("search-*.json"), key=lambda f: f.stat().st_mtime).read_text()
        ).cells[0]
        pub = PUBLISHED.get(n)
        table.add_row(
            str(n),
            f"{cell.accuracy.mean:.2f} ± {cell.accuracy.std:.2f}",
            f"{cell.rank.mean:.0f}",
            f"{cell.best_explored.mean:.2f}",
            f"{pub[0]:.2f} ± {pub[1]:.2f}" if pub else "—",
        )
    Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
