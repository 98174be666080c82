"""logsynflow recomputed with hand-written NumPy backprop on a two-layer ReLU MLP."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from proxy_helpers import make_ctx
from torch import nn

from nas_harness.api import Needs
from nas_harness.host import _invalid
from nas_harness.plugins.proxies import logsynflow as lsf_module
from nas_harness.plugins.proxies._torch_utils import synflow_weight_grads
from nas_harness.plugins.proxies.logsynflow import LogSynflow, LogSynflowConfig

D_IN, HIDDEN, K = 5, 7, 3


def mlp(bn: bool = False) -> nn.Module:
    return nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, K))


def by_hand(model: nn.Sequential) -> tuple[float, float]:
    """(logsynflow, synflow) of the |params| network on x = 1, R = sum of outputs."""
    w1, b1 = (np.abs(p.detach().numpy().astype(np.float64)) for p in (model[0].weight, model[0].bias))
    w2, b2 = (np.abs(p.detach().numpy().astype(np.float64)) for p in (model[2].weight, model[2].bias))
    x = np.ones(D_IN)
    h = w1 @ x + b1
    r = np.maximum(h, 0)
    dr = w2.T @ np.ones(K) * (h > 0)  # dR/dr masked by the ReLU
    g1, g2 = np.outer(dr, x), np.outer(np.ones(K), r)
    log_score = np.sum(w1 * np.log1p(g1)) + np.sum(w2 * np.log1p(g2))
    plain = np.sum(w1 * g1) + np.sum(w2 * g2)
    return float(log_score), float(plain)


def ctx(seed: int = 0, calls=None):
    return make_ctx(mlp, input_shape=(D_IN,), num_classes=K, seed=seed, calls=calls)


def test_matches_hand_backprop_and_is_below_synflow():
    c = ctx(seed=1)
    expected, plain = by_hand(c.build_model())
    got = LogSynflow().score(c)
    assert got == pytest.approx(expected, rel=1e-12)
    assert 0 < got < plain  # log(1 + g) < g for g > 0


def test_probe_is_shared_per_architecture():
    calls: list = []
    c = ctx(calls=calls)
    LogSynflow().score(c)
    LogSynflow().score(c)
    assert calls == [False]  # one BN-free model built, one backward pass
    probe = synflow_weight_grads(c, bn=False, dtype="float64")
    assert all(g is not None and g.dtype == torch.float64 and bool((g >= 0).all()) for _, _, g in probe)


def test_dtype_and_determinism():
    c = ctx(seed=2)
    assert LogSynflow(LogSynflowConfig(dtype="float32")).score(c) == pytest.approx(
        LogSynflow().score(c), rel=1e-5
    )
    assert LogSynflow().score(ctx(seed=2)) == LogSynflow().score(ctx(seed=2))


def test_metadata():
    assert _invalid("proxy", LogSynflow) is None
    assert lsf_module.nas_harness_proxies() == [LogSynflow]
    assert LogSynflow.higher_is_better is True and LogSynflow.needs == frozenset({Needs.MODEL, Needs.GRAD})
