"""The NB201 workload the per-proxy benchmarks share: N seeded cells and one input batch.

Imported by ``bench_proxy_time.py`` and ``bench_fused.py`` (run as scripts from any folder; their
own folder is on ``sys.path``), so both time the same cells on the same batch.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nas_harness.api import shared_dir
from nas_harness.host import PluginHost
from nas_harness.inputs import InputConfig, load_batch

SHARED_IMAGES = shared_dir() / "data" / "images" / "cifar10_sample.npz"


def add_workload_args(ap: argparse.ArgumentParser, *, proxies: str, n: int, n_help: str) -> None:
    ap.add_argument("--proxies", default=proxies)
    ap.add_argument("--n", type=int, default=n, help=n_help)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--data", type=Path, default=SHARED_IMAGES if SHARED_IMAGES.exists() else None)
    ap.add_argument("--seed", type=int, default=0, help="seed of the architecture sample")


@dataclass
class Workload:
    host: PluginHost
    space: Any
    archs: list[str]
    batch: Any
    names: list[str]


def workload(args: argparse.Namespace) -> Workload:
    """Set the torch threads, discover the plugins, sample the cells, load the batch."""
    torch.set_num_threads(args.threads)
    host = PluginHost.discover()
    space = host.get("space", "nb201").cls()
    archs = space.sample(args.n, np.random.default_rng(args.seed))
    batch = load_batch(InputConfig(path=args.data, batch_size=args.batch_size), space.dataset(args.dataset))
    names = [p.strip() for p in args.proxies.split(",") if p.strip()]
    return Workload(host, space, archs, batch, names)
