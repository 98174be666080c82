"""Measurement (not a test): Spearman rho of the zoo proxies against NB201 CIFAR-10 test accuracy.

zen, zico, meco, ntk_cond, linear_regions, logsynflow and ni (``--set default``) or a few config
variants of them (``--set variants``) on
``--n`` NB201 architectures drawn with ``np.random.default_rng(--arch-seed)`` from the 15,625,
scored through each proxy's public ``score(ctx)`` with a context built as the engine builds it
(``torch.manual_seed(seed)`` then ``build_model``; PyTorch-default Kaiming-uniform init):

* inputs: 64 training images of ``shared/data/images/cifar10_sample.npz`` chosen with
  ``np.random.default_rng(42)``, normalized with mean (0.4914, 0.4822, 0.4465) and std
  (0.2470, 0.2435, 0.2616), NCHW float32, with their labels;
* ground truth: ``CIFAR10TestAccuracy200Epochs`` of ``shared/data/nb201/nats_tss_test_acc_200ep.csv``
  (row i = NB201 index i);
* rho is Spearman over the architectures the proxy scored (failures omitted and counted); the
  "oriented" rho multiplies by -1 for lower-is-better proxies, so positive means the proxy
  ranks as intended; Kendall tau (tau-b) is printed beside it, for rank-sa's Table 1. Times are
  wall and CPU (process) seconds per architecture, one thread.

    python benchmarks/zoo_nb201_spearman.py --n 200 --set default --out /tmp/zoo_default.csv
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import kendalltau, spearmanr

from nas_harness.api import Proxy, ScoreContext, shared_dir
from nas_harness.plugins.proxies.linear_regions import LinearRegions, LinearRegionsConfig
from nas_harness.plugins.proxies.logsynflow import LogSynflow
from nas_harness.plugins.proxies.meco import MeCo, MeCoConfig
from nas_harness.plugins.proxies.ni import NI, NIConfig
from nas_harness.plugins.proxies.ntk_cond import NTKCond, NTKCondConfig
from nas_harness.plugins.proxies.zen import Zen, ZenConfig
from nas_harness.plugins.proxies.zico import ZiCo, ZiCoConfig
from nas_harness.plugins.spaces.nb201 import NB201Space

SHARED = shared_dir()  # $NASH_SHARED_DIR, else ../shared of the current folder
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)


def proxy_sets(ntk_batch: int) -> dict[str, dict[str, Proxy]]:
    """``default``: each proxy with its defaults (ntk_cond on the first ``ntk_batch`` inputs);
    ``variants``: the config options that settle an ambiguity of the papers."""
    return {
        "default": {
            "zen": Zen(),
            "zico": ZiCo(),
            "meco": MeCo(),
            f"ntk_cond[batch_size={ntk_batch}]": NTKCond(NTKCondConfig(batch_size=ntk_batch)),
            "linear_regions": LinearRegions(),
            "logsynflow": LogSynflow(),
            "ni": NI(),
        },
        "variants": {
            "zen[bn_variance=running]": Zen(ZenConfig(bn_variance="running")),
            "zico[accumulate]": ZiCo(ZiCoConfig(accumulate=True)),
            "meco[channels=8]": MeCo(MeCoConfig(channels=8)),
            "meco[modules=leaves]": MeCo(MeCoConfig(modules="leaves")),
            "linear_regions[gaussian]": LinearRegions(LinearRegionsConfig(input="gaussian")),
            "ni[pools=global]": NI(NIConfig(pools="global")),
            "ni[kappa=sq_l2_over_l1]": NI(NIConfig(kappa="sq_l2_over_l1")),
            "ni[noise_std=0.1]": NI(NIConfig(noise_std=0.1)),
        },
    }


def cifar10_batch(n: int = 64, seed: int = 42) -> tuple[torch.Tensor, torch.Tensor]:
    data = np.load(SHARED / "data/images/cifar10_sample.npz")
    idx = np.random.default_rng(seed).choice(len(data["train_images"]), n, replace=False)
    x = (data["train_images"][idx].astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(
        data["train_labels"][idx].astype(np.int64)
    )


def context(space: NB201Space, arch: str, x, y, seed: int) -> ScoreContext:
    def factory(bn: bool = True):
        torch.manual_seed(seed)
        return space.build_model(arch, "cifar10", bn=bn)

    return ScoreContext(
        arch=arch,
        space="nb201",
        dataset=space.dataset("cifar10"),
        seed=seed,
        inputs=x,
        targets=y,
        _model_factory=factory,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--arch-seed", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42, help="torch init seed and ctx.seed (engine default 42)")
    ap.add_argument("--ntk-batch", type=int, default=16)
    ap.add_argument("--set", choices=["default", "variants"], default="default")
    ap.add_argument("--only", nargs="*", default=None, help="proxy names (of the set) to run")
    ap.add_argument("--out", type=Path, default=None, help="CSV of per-arch scores and times")
    args = ap.parse_args()
    torch.set_num_threads(1)
    import pandas as pd

    truth = pd.read_csv(SHARED / "data/nb201/nats_tss_test_acc_200ep.csv")[
        "CIFAR10TestAccuracy200Epochs"
    ].to_numpy()
    space = NB201Space()
    idx = np.random.default_rng(args.arch_seed).choice(space.size(), args.n, replace=False)
    x, y = cifar10_batch()
    proxies = proxy_sets(args.ntk_batch)[args.set]
    if args.only:
        proxies = {k: v for k, v in proxies.items() if k in args.only}
    scores = {k: [] for k in proxies}
    times = {k: [] for k in proxies}
    cpu = {k: [] for k in proxies}
    failures: dict[str, list[str]] = {k: [] for k in proxies}
    writer = None
    if args.out:
        fh = open(args.out, "w", newline="")
        writer = csv.writer(fh)
        writer.writerow(["index", "arch", "acc", "proxy", "score", "seconds", "cpu_seconds", "error"])
    for count, i in enumerate(idx):
        arch = space.arch(int(i))
        for name, proxy in proxies.items():
            ctx = context(space, arch, x, y, args.seed)
            t0, c0 = time.perf_counter(), time.process_time()
            err = ""
            try:
                v = float(proxy.score(ctx))
                if not math.isfinite(v):
                    err, v = f"non-finite {v}", float("nan")
            except Exception as exc:  # recorded as a failure, as the engine does
                err, v = f"{type(exc).__name__}: {exc}", float("nan")
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            scores[name].append(v)
            times[name].append(dt)
            cpu[name].append(dc)
            if err:
                failures[name].append(err)
            if writer:
                writer.writerow([int(i), arch, truth[i], name, v, f"{dt:.4f}", f"{dc:.4f}", err])
        if writer:
            fh.flush()
        if (count + 1) % 20 == 0:
            print(f"{count + 1}/{args.n} archs", flush=True)
    acc = truth[idx]
    print(
        f"\n{args.n} NB201 archs (rng {args.arch_seed}), CIFAR-10 test acc @200ep, seed {args.seed}, 1 thread"
    )
    print(f"{'proxy':34s} {'rho':>7s} {'oriented':>8s} {'tau':>7s} {'fail':>4s} {'wall s':>7s} {'cpu s':>7s}")
    for name, proxy in proxies.items():
        v = np.array(scores[name])
        ok = np.isfinite(v)
        constant = ok.sum() < 3 or np.ptp(v[ok]) == 0
        rho = float("nan") if constant else spearmanr(v[ok], acc[ok])[0]
        tau = float("nan") if constant else kendalltau(v[ok], acc[ok])[0]
        sign = 1 if proxy.higher_is_better else -1
        print(
            f"{name:34s} {rho:7.3f} {sign * rho:8.3f} {tau:7.3f} {len(failures[name]):4d} "
            f"{np.mean(times[name]):7.2f} {np.mean(cpu[name]):7.2f}"
        )
        for reason in sorted(set(failures[name]))[:3]:
            print(f"    failure: {reason}")


if __name__ == "__main__":
    main()
