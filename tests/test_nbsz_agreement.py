"""Our l2_norm, epe_nas and fisher rank NB201 architectures as NAS-Bench-Suite-Zero's published
scores do (``shared/data/nb201/nbsz_proxy_scores_nb201.csv``, CIFAR-10 rows).

Setting: the first 100 published CIFAR-10 architectures by NB201 index whose published score is
not NBSZ's NaN sentinel (-1e8), one batch of 64 CIFAR-10 training images from
``shared/data/images/cifar10_sample.npz`` (seeded draw; CIFAR-10 mean/std normalisation, NCHW
float32), PyTorch's default (Kaiming-uniform) initialisation, train-mode BatchNorm. NBSZ used
NASLib's CIFAR-10 training loader (batch 64, with its augmentation) and its own seeds, so only
rankings are compared, never values.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from nas_harness.api import ScoreContext

pytestmark = [pytest.mark.slow, pytest.mark.shared]

N_ARCHS = 100
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)
NBSZ_NAN = -1e7  # NBSZ stores a failed score as -1e8


@pytest.fixture(scope="module")
def published(shared_data):
    import pandas as pd

    table = pd.read_csv(shared_data / "nb201" / "nbsz_proxy_scores_nb201.csv")
    return table[table.dataset == "cifar10"].sort_values("index").reset_index(drop=True)


@pytest.fixture(scope="module")
def cifar10_batch(shared_data):
    data = np.load(shared_data / "images" / "cifar10_sample.npz")
    idx = np.random.default_rng(42).choice(len(data["train_images"]), 64, replace=False)
    x = (data["train_images"][idx].astype(np.float32) / 255.0 - MEAN) / STD
    y = data["train_labels"][idx].astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), torch.from_numpy(y)


@pytest.fixture(scope="module")
def space():
    from nas_harness.plugins.spaces.nb201 import NB201Space

    return NB201Space()


def scores(proxy, published, space, batch):
    x, y = batch
    out = []
    for arch in published.arch_str:

        def build(bn: bool = True, arch=arch):
            torch.manual_seed(0)
            return space.build_model(arch, "cifar10", bn=bn)

        ctx = ScoreContext(
            arch=arch,
            space="nb201",
            dataset=space.dataset("cifar10"),
            seed=0,
            inputs=x,
            targets=y,
            _model_factory=build,
        )
        out.append(proxy.score(ctx))
    return np.array(out)


@pytest.mark.parametrize(
    "name, minimum",
    [("l2_norm", 0.9), ("epe_nas", 0.75), ("fisher", 0.75)],
)
def test_rank_agreement_with_published_scores(name, minimum, published, space, cifar10_batch):
    from nas_harness.plugins.proxies.epe_nas import EPENAS
    from nas_harness.plugins.proxies.fisher import Fisher
    from nas_harness.plugins.proxies.l2_norm import L2Norm

    proxy = {"l2_norm": L2Norm, "epe_nas": EPENAS, "fisher": Fisher}[name]()
    rows = published[published[name] > NBSZ_NAN].head(N_ARCHS)
    ours = scores(proxy, rows, space, cifar10_batch)
    assert np.isfinite(ours).all()
    rho = spearmanr(ours, rows[name].to_numpy())[0]
    assert rho >= minimum, f"{name}: Spearman {rho:.3f} with NBSZ's published scores (< {minimum})"
