"""DPS (paper 002) on NB201: search Eproxy's config on k labelled archs, then score held-out archs.

Every config DPS evaluates is scored through the engine and its store (a revisited config, or a
second run, costs nothing). The k calibration archs are drawn with ``--calib-seed`` from the
space minus the evaluation sample (``--n`` archs, ``--seed``, the sample ``nash run --n N``
draws), so DPS never scores an evaluation arch. Prints the fitness history and the held-out
Spearman rho of plain Eproxy and of the winning config, and writes the history as JSON.

    python benchmarks/bench_dps.py --k 20 --population 40 --tournament 10 --cycles 10 --workers 2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from nas_harness.api import shared_path
from nas_harness.engine import Engine
from nas_harness.executors.limits import Limits
from nas_harness.executors.local import LocalExecutor
from nas_harness.host import PluginHost
from nas_harness.inputs import InputConfig, load_batch
from nas_harness.plugins.proxies import _eproxy_dps as D
from nas_harness.plugins.proxies.eproxy import Eproxy, EproxyConfig
from nas_harness.scoring import ProxyJob, ScoringSetup
from nas_harness.store import ScoreStore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--population", type=int, default=40)
    ap.add_argument("--tournament", type=int, default=10)
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--n", type=int, default=100, help="held-out evaluation archs")
    ap.add_argument(
        "--seed", type=int, default=0, help="seed of the evaluation sample (nash run's --sample-seed)"
    )
    ap.add_argument("--calib-seed", type=int, default=1)
    ap.add_argument("--search-seed", type=int, default=0)
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--data", type=Path, default=shared_path("data/images/cifar10_sample.npz"))
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--no-plain-heldout",
        action="store_true",
        help="skip plain Eproxy on the held-out archs (e.g. when nash run already measured it)",
    )
    ap.add_argument("--out", type=Path, default=Path("dps.json"))
    args = ap.parse_args()

    torch.set_num_threads(1)
    host = PluginHost.discover()
    space = host.get("space", "nb201").cls()
    oracle = next(iter(space.oracles().values()))()
    evaluation = space.sample(args.n, np.random.default_rng(args.seed))
    rng = np.random.default_rng(args.calib_seed)
    banned = set(evaluation)
    calibration: list[str] = []
    while len(calibration) < args.k:
        a = space.arch(int(rng.integers(space.size())))
        if a not in banned and a not in calibration:
            calibration.append(a)
    truth_cal = np.asarray(oracle.query(calibration, args.dataset), dtype=float)
    batch = load_batch(InputConfig(path=args.data, batch_size=16), space.dataset(args.dataset))
    setup = ScoringSetup(space=space, dataset=args.dataset, batch=batch, input_spec=batch.spec)
    executor = LocalExecutor(args.workers, Limits(threads=1)) if args.workers > 1 else None
    engine = Engine(setup, ScoreStore(args.store), executor=executor)

    scored: set[str] = set()

    def losses(config: dict, archs: list[str]) -> np.ndarray:
        scored.update(archs)
        return engine.score([ProxyJob(Eproxy(EproxyConfig(**config)))], archs)["eproxy"].values

    cfg = D.DpsConfig(population=args.population, tournament=args.tournament, cycles=args.cycles)
    t0, c0 = time.perf_counter(), time.process_time()
    history = D.search(
        cfg,
        lambda c: D.spearman_fitness(-losses(c, calibration), truth_cal),
        np.random.default_rng(args.search_seed),
        flops_max=None,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert scored <= set(calibration) and not scored & banned, "DPS scored an evaluation arch"
    winner = D.best(history)
    distinct = len({json.dumps(e.config, sort_keys=True) for e in history})

    truth = np.asarray(oracle.query(evaluation, args.dataset), dtype=float)
    tuned = losses(winner.config, evaluation)
    plain = (
        np.full(len(evaluation), np.nan)
        if args.no_plain_heldout
        else losses(EproxyConfig().model_dump(mode="json"), evaluation)
    )
    rho = {
        name: float(stats.spearmanr(-v, truth, nan_policy="omit").statistic)
        for name, v in (("eproxy", plain), ("eproxy+dps", tuned))
    }
    rho_cal_plain = D.spearman_fitness(
        -losses(EproxyConfig().model_dump(mode="json"), calibration), truth_cal
    )
    if executor is not None:
        executor.close()

    report = {
        "k": args.k,
        "population": args.population,
        "tournament": args.tournament,
        "cycles": args.cycles,
        "evaluations": len(history),
        "distinct_configs": distinct,
        "search_wall_s": wall,
        "search_driver_cpu_s": cpu,
        "workers": args.workers,
        "fitness_best": winner.fitness,
        "fitness_plain_on_calibration": rho_cal_plain,
        "heldout_n": args.n,
        "heldout_rho": rho,
        "heldout_failed": {"eproxy": int(np.isnan(plain).sum()), "eproxy+dps": int(np.isnan(tuned).sum())},
        "winner": winner.config,
        "history": [e.fitness for e in history],
        "best_so_far": list(np.maximum.accumulate([e.fitness for e in history])),
        "calibration": calibration,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(
        json.dumps(
            {k: v for k, v in report.items() if k not in ("history", "calibration", "best_so_far")}, indent=1
        )
    )


if __name__ == "__main__":
    main()
