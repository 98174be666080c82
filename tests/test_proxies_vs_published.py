"""Our params, flops, synflow, snip, grad_norm, jacob_cov and naswot rank NB201 architectures as
NAS-Bench-Suite-Zero's published scores do (``shared/data/nb201/nbsz_proxy_scores_nb201.csv``,
CIFAR-10 rows; columns params, flops, synflow, snip, grad_norm, jacov, nwot).

Setting: the first 50 published CIFAR-10 architectures in NB201 index order whose seven
published scores are all finite and not NBSZ's failure value (-1e8); one batch of the first 64
CIFAR-10 *training* images of ``shared/data/images/cifar10_sample.npz`` (NBSZ draws one batch
from NASLib's CIFAR-10 training loader), normalised with the CIFAR-10 mean/std, NCHW float32;
PyTorch's default initialisation with torch seed 0; one ScoreContext per architecture shared by
all proxies, as the engine does. NBSZ's batch (size, images, augmentation) and seeds are not
ours, so only rankings are compared (Spearman), never values. NBSZ publishes log(synflow) and
params/flops in millions: monotone transforms that leave Spearman unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from nas_harness.api import ScoreContext

pytestmark = [pytest.mark.slow, pytest.mark.shared]

N_ARCHS = 50
BATCH = 64
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)
NBSZ_FAILED = -1e7  # NBSZ stores a failed score as -1e8
MIN_SPEARMAN = 0.9

# our proxy name -> NBSZ column
COLUMNS = {
    "params": "params",
    "flops": "flops",
    "synflow": "synflow",
    "snip": "snip",
    "grad_norm": "grad_norm",
    "jacob_cov": "jacov",
    "naswot": "nwot",
}


@pytest.fixture(scope="module")
def published(shared_data):
    import pandas as pd

    table = pd.read_csv(shared_data / "nb201" / "nbsz_proxy_scores_nb201.csv")
    rows = table[table.dataset == "cifar10"].sort_values("index")
    values = rows[list(COLUMNS.values())].to_numpy(float)
    ok = np.isfinite(values).all(axis=1) & (values > NBSZ_FAILED).all(axis=1)
    return rows[ok].head(N_ARCHS).reset_index(drop=True)


@pytest.fixture(scope="module")
def cifar10_batch(shared_data):
    data = np.load(shared_data / "images" / "cifar10_sample.npz")
    x = (data["train_images"][:BATCH].astype(np.float32) / 255.0 - MEAN) / STD
    y = data["train_labels"][:BATCH].astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), torch.from_numpy(y)


@pytest.fixture(scope="module")
def our_scores(published, cifar10_batch):
    from nas_harness.plugins.proxies.cost import Flops, Params
    from nas_harness.plugins.proxies.grad_norm import GradNorm
    from nas_harness.plugins.proxies.jacob_cov import JacobCov
    from nas_harness.plugins.proxies.naswot import Naswot
    from nas_harness.plugins.proxies.snip import Snip
    from nas_harness.plugins.proxies.synflow import Synflow
    from nas_harness.plugins.spaces.nb201 import NB201Space

    proxies = [Params(), Flops(), Synflow(), Snip(), GradNorm(), JacobCov(), Naswot()]
    space = NB201Space()
    x, y = cifar10_batch
    scores: dict[str, list[float]] = {p.name: [] for p in proxies}
    for arch in published.arch_str:  # threads: pinned for the session (conftest.py)

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
        for p in proxies:
            scores[p.name].append(p.score(ctx))
    return {name: np.array(v) for name, v in scores.items()}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_rank_agreement_with_published_scores(name, published, our_scores):
    ours = our_scores[name]
    assert len(ours) == N_ARCHS and np.isfinite(ours).all()
    rho = spearmanr(ours, published[COLUMNS[name]].to_numpy(float))[0]
    assert rho >= MIN_SPEARMAN, (
        f"{name}: Spearman {rho:.3f} with NBSZ's published {COLUMNS[name]} (< {MIN_SPEARMAN})"
    )
