"""Sanity check of WRCor on NB201 (not a test): Spearman rho against CIFAR-10 test accuracy.

Scores the first ``--n`` NB201 architectures (official index order) on one CIFAR-10 batch
(64 training images of ``shared/data/images/cifar10_sample.npz``, CIFAR-10 normalisation,
seed 42), Kaiming-uniform (PyTorch default) init with torch seed 0, and compares with
``CIFAR10TestAccuracy200Epochs`` of ``shared/data/nb201/nats_tss_test_acc_200ep.csv``. One
forward/backward pass per architecture gives every weighting of Table 3 of the WRCor paper,
ACor, and the "unit" layer reading. Optionally times wrcor against a NASWOT reference.

    python benchmarks/wrcor_nb201_sanity.py --n 200 --threads 2 --time 20
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import spearmanr

from nas_harness.api import ScoreContext, shared_dir
from nas_harness.plugins.proxies.wrcor import WRCor, layer_weights
from nas_harness.plugins.spaces.nb201 import NB201Space

SHARED = shared_dir()  # $NASH_SHARED_DIR, else ../shared of the current folder
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)


def cifar10_batch(n: int = 64, seed: int = 42) -> tuple[torch.Tensor, torch.Tensor]:
    data = np.load(SHARED / "data/images/cifar10_sample.npz")
    idx = np.random.default_rng(seed).choice(len(data["train_images"]), n, replace=False)
    x = (data["train_images"][idx].astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(
        data["train_labels"][idx].astype(np.int64)
    )


def context(space: NB201Space, arch: str, x, y, seed: int = 0) -> ScoreContext:
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


def logdet(units, weights, layer_of, use_grad=True) -> float:
    k = None
    for i, u in enumerate(units):
        w = weights[layer_of(i, u)]
        for m in (u.act, u.grad if use_grad else None):
            if m is not None:
                k = w * m.abs() if k is None else k + w * m.abs()
    return float(torch.linalg.slogdet(k)[1])


def naswot_reference(model: torch.nn.Module, x: torch.Tensor) -> float:
    """Mellor et al.'s NASWOT (binary-code Hamming kernel at ReLU inputs), forward only."""
    n = x.shape[0]
    k = torch.zeros(n, n)

    def hook(module, args):
        c = (args[0].detach().reshape(n, -1) > 0).float()
        k.add_(c @ c.T).add_((1 - c) @ (1 - c).T)

    hs = [m.register_forward_pre_hook(hook) for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    model.train()
    with torch.no_grad():
        model(x)
    for h in hs:
        h.remove()
    return float(torch.linalg.slogdet(k.double())[1])


def attempt(fn, ctx) -> None:
    """Time a failing architecture like the engine does: the failure counts, the run goes on."""
    try:
        fn(ctx)
    except Exception:  # noqa: BLE001 - timing only
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--time", type=int, default=0, help="archs to time wrcor vs naswot on")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import pandas as pd

    truth = pd.read_csv(SHARED / "data/nb201/nats_tss_test_acc_200ep.csv")[
        "CIFAR10TestAccuracy200Epochs"
    ].to_numpy()
    space = NB201Space()
    x, y = cifar10_batch()
    variants = ["acor", "rcor", "linear", "quad", "expb2t (wrcor)", "expt2b", "expb2t, unit layers"]
    scores = {v: [] for v in variants}
    t0 = time.perf_counter()
    failures = 0
    for i in range(args.n):
        arch = space.arch(i)
        try:
            r = WRCor().analyse(context(space, arch, x, y))
        except Exception as exc:  # a failed architecture is reported and left out, as the engine does
            print(f"{i}: {type(exc).__name__}: {exc}")
            failures += 1
            for v in variants:
                scores[v].append(np.nan)
            continue
        units = r.units
        layers = [u.layer for u in units]
        by_layer = lambda i, u: u.layer  # noqa: E731
        by_unit = lambda i, u: i + 1  # noqa: E731
        scores["acor"].append(logdet(units, layer_weights(layers, "none"), by_layer, use_grad=False))
        for name, scheme in [
            ("rcor", "none"),
            ("linear", "linear"),
            ("quad", "quad"),
            ("expb2t (wrcor)", "expb2t"),
            ("expt2b", "expt2b"),
        ]:
            scores[name].append(logdet(units, layer_weights(layers, scheme), by_layer))
        assert abs(scores["expb2t (wrcor)"][-1] - r.score) < 1e-9 * max(1.0, abs(r.score))
        scores["expb2t, unit layers"].append(
            logdet(units, layer_weights(list(range(1, len(units) + 1)), "expb2t"), by_unit)
        )
    elapsed = time.perf_counter() - t0
    acc = truth[: args.n]
    print(f"{args.n} archs, {failures} failed, {elapsed / args.n:.2f} s/arch (one pass, all variants)")
    for v in variants:
        rho = spearmanr(np.array(scores[v]), acc, nan_policy="omit")[0]
        ranked_last = np.nan_to_num(np.array(scores[v]), nan=-np.inf)
        rho_all = spearmanr(ranked_last, acc)[0]
        print(f"  {v:22s} rho = {rho:.3f}   (failures ranked last, as the official -inf: {rho_all:.3f})")

    if args.time:
        archs = [space.arch(i) for i in range(args.time)]
        try:  # the harness's own naswot proxy when it is installed
            from nas_harness.plugins.proxies.naswot import Naswot

            naswot, which = Naswot().score, "naswot proxy"
        except ImportError:
            naswot, which = (lambda c: naswot_reference(c.build_model(), c.inputs)), "naswot reference"
        wrcor = WRCor()
        wrcor.score(context(space, archs[0], x, y))
        naswot(context(space, archs[0], x, y))
        tw = tn = 0.0
        for arch in archs:  # interleaved, so that load from other processes hits both alike
            c = context(space, arch, x, y)
            t = time.perf_counter()
            attempt(naswot, c)
            t1 = time.perf_counter()
            attempt(wrcor.score, c)
            t2 = time.perf_counter()
            tn, tw = tn + t1 - t, tw + t2 - t1
        print(
            f"time/arch over {len(archs)} archs: wrcor {tw / len(archs):.3f} s, "
            f"{which} {tn / len(archs):.3f} s, ratio {tw / tn:.2f}"
        )


if __name__ == "__main__":
    main()
