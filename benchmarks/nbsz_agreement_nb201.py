"""Rank agreement of our proxies with NAS-Bench-Suite-Zero's published NB201 CIFAR-10 scores.

Not a test (tests/test_nbsz_agreement.py checks l2_norm, epe_nas and fisher); this reports any of
l2_norm, fisher, epe_nas, grasp, plain on the first ``--n`` published architectures by NB201
index whose published score is not NBSZ's failure sentinel (-1e8). Same setting as the test:
64 CIFAR-10 training images of ``shared/data/images/cifar10_sample.npz`` (seeded draw),
CIFAR-10 normalisation, PyTorch default init with torch seed 0, train-mode BatchNorm.

    python benchmarks/nbsz_agreement_nb201.py --n 100 grasp plain
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr
from wrcor_nb201_sanity import SHARED, cifar10_batch, context

from nas_harness.plugins.proxies.epe_nas import EPENAS
from nas_harness.plugins.proxies.fisher import Fisher
from nas_harness.plugins.proxies.grasp import GraSP
from nas_harness.plugins.proxies.l2_norm import L2Norm
from nas_harness.plugins.proxies.plain import Plain
from nas_harness.plugins.spaces.nb201 import NB201Space

PROXIES = {"l2_norm": L2Norm, "fisher": Fisher, "epe_nas": EPENAS, "grasp": GraSP, "plain": Plain}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("proxies", nargs="+", choices=sorted(PROXIES))
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-seed", type=int, default=42)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    table = pd.read_csv(SHARED / "data/nb201/nbsz_proxy_scores_nb201.csv")
    c10 = table[table.dataset == "cifar10"].sort_values("index")
    space = NB201Space()
    x, y = cifar10_batch(seed=args.batch_seed)
    for name in args.proxies:
        rows = c10[c10[name] > -1e7].head(args.n)
        proxy = PROXIES[name]()
        t0 = time.perf_counter()
        ours = np.array([proxy.score(context(space, a, x, y)) for a in rows.arch_str])
        rho = spearmanr(ours, rows[name].to_numpy())[0]
        per_arch = (time.perf_counter() - t0) / len(rows)
        print(
            f"{name}: Spearman {rho:.3f} vs published on {len(rows)} archs ({per_arch:.2f} s/arch)",
            flush=True,
        )


if __name__ == "__main__":
    main()
