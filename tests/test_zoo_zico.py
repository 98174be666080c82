"""zico recomputed from explicit per-sub-batch gradients (``.backward()`` and ``.grad``) in NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from proxy_helpers import TinyConvNet, make_ctx
from pydantic import ValidationError
from torch import nn

from nas_harness.api import Needs, ProxyFailure
from nas_harness.host import _invalid
from nas_harness.plugins.proxies import zico as zico_module
from nas_harness.plugins.proxies.zico import ZiCo, ZiCoConfig, split_bounds

N, C_IN, HW, K = 12, 3, 5, 3


def data(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(N, C_IN, HW, HW, generator=gen)
    y = torch.randint(0, K, (N,), generator=gen)
    return x, y


def ctx(seed: int = 0, bn: bool = True):
    x, y = data()
    return make_ctx(lambda b: TinyConvNet(bn=b, num_classes=K), inputs=x, targets=y, num_classes=K, seed=seed)


def explicit_grads(c, n_splits: int, accumulate: bool) -> list[dict[str, np.ndarray]]:
    """Per sub-batch: forward, loss.backward(), read each Conv2d/Linear ``weight.grad``."""
    model = c.build_model()
    model.train()
    out = []
    for k in range(n_splits):
        lo, hi = k * N // n_splits, (k + 1) * N // n_splits
        if not accumulate:
            model.zero_grad()
        loss = nn.CrossEntropyLoss()(model(c.inputs[lo:hi]), c.targets[lo:hi])
        loss.backward()
        out.append(
            {
                name: m.weight.grad.detach().numpy().reshape(-1).copy()
                for name, m in model.named_modules()
                if isinstance(m, (nn.Conv2d, nn.Linear))
            }
        )
    return out


def zico_numpy(samples: list[dict[str, np.ndarray]]) -> float:
    total = 0.0
    for name in samples[0]:
        g = np.stack([s[name] for s in samples]).astype(np.float64)
        std = np.std(g, axis=0)
        nz = np.nonzero(std)[0]
        s = np.sum(np.mean(np.abs(g), axis=0)[nz] / std[nz])
        if s != 0:
            total += math.log(s)
    return total


@pytest.mark.parametrize("n_splits", [2, 3, 4])
@pytest.mark.parametrize("accumulate", [False, True])
def test_matches_explicit_per_batch_gradients(n_splits, accumulate):
    c = ctx(seed=1)
    expected = zico_numpy(explicit_grads(c, n_splits, accumulate))
    assert ZiCo(ZiCoConfig(n_splits=n_splits, accumulate=accumulate)).score(c) == pytest.approx(
        expected, rel=1e-5
    )


def test_two_samples_closed_form():
    # with two gradient samples a, b per weight: mean|g| / std = (|a| + |b|) / |a - b|
    c = ctx(seed=2)
    a, b = explicit_grads(c, 2, accumulate=False)
    expected = sum(
        math.log(np.sum((np.abs(a[n]) + np.abs(b[n]))[a[n] != b[n]] / np.abs(a[n] - b[n])[a[n] != b[n]]))
        for n in a
    )
    assert ZiCo().score(c) == pytest.approx(expected, rel=1e-5)


def test_splits_are_contiguous_and_cover_the_batch():
    assert split_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert split_bounds(64, 2) == [(0, 32), (32, 64)]


def test_deterministic_and_seed_dependent():
    assert ZiCo().score(ctx(seed=4)) == ZiCo().score(ctx(seed=4))
    assert ZiCo().score(ctx(seed=4)) != ZiCo().score(ctx(seed=5))


def test_invalid_cases():
    with pytest.raises(ValidationError):
        ZiCoConfig(n_splits=1)  # a variance needs two batches
    x, y = data()
    small = make_ctx(lambda b: TinyConvNet(bn=b, num_classes=K), inputs=x[:2], targets=y[:2], num_classes=K)
    with pytest.raises(ProxyFailure):
        ZiCo(ZiCoConfig(n_splits=3)).score(small)
    same = make_ctx(
        lambda b: TinyConvNet(bn=b, num_classes=K),
        inputs=torch.cat([x[:3], x[:3]]),
        targets=torch.cat([y[:3], y[:3]]),
        num_classes=K,
    )
    with pytest.raises(ProxyFailure):  # identical sub-batches: every std is 0
        ZiCo().score(same)


def test_metadata():
    assert _invalid("proxy", ZiCo) is None
    assert zico_module.nas_harness_proxies() == [ZiCo]
    assert ZiCo.higher_is_better is True
    assert ZiCo.needs == frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
