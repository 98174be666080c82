"""ni (noise immunity) recomputed by hand from functional pooled maps, and its scaling in the noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from proxy_helpers import make_ctx
from torch import nn

from nas_harness.api import Needs, ProxyFailure
from nas_harness.host import _invalid
from nas_harness.plugins.proxies import ni as ni_module
from nas_harness.plugins.proxies.ni import NI, NIConfig

N, C_IN, HW, WIDTH, K = 5, 3, 6, 4, 2


class PoolNet(nn.Module):
    """conv -> BN -> ReLU -> avgpool 2x2 -> conv -> maxpool 3x3/1 -> global avg pool -> linear."""

    def __init__(self, bn: bool = True, relu: bool = True, maxpool: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(C_IN, WIDTH, 3, padding=1)
        self.bn = nn.BatchNorm2d(WIDTH) if bn else nn.Identity()
        self.act = nn.ReLU() if relu else nn.Identity()
        self.pool1 = nn.AvgPool2d(2)
        self.conv2 = nn.Conv2d(WIDTH, WIDTH, 1)
        self.pool2 = nn.MaxPool2d(3, stride=1, padding=1) if maxpool else nn.AvgPool2d(3, stride=1, padding=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(WIDTH, K)

    def forward(self, x):
        x = self.pool2(self.conv2(self.pool1(self.act(self.bn(self.conv1(x))))))
        return self.fc(torch.flatten(self.gap(x), 1))


def inputs() -> torch.Tensor:
    return torch.randn(N, C_IN, HW, HW, generator=torch.Generator().manual_seed(9))


def ctx(seed: int = 0, bn: bool = True, relu: bool = True, maxpool: bool = True):
    return make_ctx(lambda b: PoolNet(bn and b, relu, maxpool), inputs=inputs(), num_classes=K, seed=seed)


def pooled_by_hand(model: PoolNet, x: torch.Tensor, bn: bool, relu: bool) -> list[np.ndarray]:
    z = F.conv2d(x, model.conv1.weight, model.conv1.bias, padding=1)
    if bn:
        z = F.batch_norm(z, None, None, model.bn.weight, model.bn.bias, training=True)
    if relu:
        z = F.relu(z)
    p1 = F.avg_pool2d(z, 2)
    p2 = F.max_pool2d(F.conv2d(p1, model.conv2.weight, model.conv2.bias), 3, stride=1, padding=1)
    p3 = p2.mean(dim=(2, 3), keepdim=True)
    return [p.detach().reshape(x.shape[0], -1).numpy().astype(np.float64) for p in (p1, p2, p3)]


def eta_by_hand(c, cfg: NIConfig, bn=True, relu=True) -> float:
    model = c.build_model()
    x = c.inputs
    z = torch.randn(x.shape, generator=torch.Generator().manual_seed(c.seed)) * cfg.noise_std
    clean, noisy = pooled_by_hand(model, x, bn, relu), pooled_by_hand(model, x + z, bn, relu)
    if cfg.pools == "global":
        clean, noisy = clean[-1:], noisy[-1:]
    total = 0.0
    for t, tn in zip(clean, noisy):
        for j in range(x.shape[0]):
            d2 = (t[j] - tn[j]) ** 2
            if cfg.kappa == "sq_l2_over_l2":
                total += d2.sum() / np.linalg.norm(t[j])
            elif cfg.kappa == "sq_l2_over_l1":
                total += d2.sum() / np.abs(t[j]).sum()
            else:
                total += np.sum(d2 / np.abs(t[j]))
    return math.log(cfg.epsilon + total)


@pytest.mark.parametrize("kappa", ["sq_l2_over_l2", "sq_l2_over_l1", "elementwise"])
@pytest.mark.parametrize("pools", ["all", "global"])
def test_matches_hand_computation(kappa, pools):
    cfg = NIConfig(kappa=kappa, pools=pools, noise_std=0.3, epsilon=1e-3)
    relu = kappa != "elementwise"  # keep every pooled entry non-zero for the element-wise ratio
    c = ctx(seed=4, relu=relu)
    assert NI(cfg).score(c) == pytest.approx(eta_by_hand(c, cfg, relu=relu), rel=1e-5)


def test_linear_network_scales_with_the_noise_variance():
    # no BN, no ReLU, average pools only: tau' - tau is linear in z, so sum kappa scales as noise_std^2
    c = ctx(bn=False, relu=False, maxpool=False)
    small = NI(NIConfig(noise_std=0.01, epsilon=1e-30)).score(c)
    large = NI(NIConfig(noise_std=0.1, epsilon=1e-30)).score(c)
    assert large - small == pytest.approx(2 * math.log(10.0), rel=1e-4)


def test_lower_is_better_deterministic_and_seeded():
    assert NI.higher_is_better is False
    assert NI().score(ctx(seed=1)) == NI().score(ctx(seed=1))
    assert NI().score(ctx(seed=1)) != NI().score(ctx(seed=2))


def test_dead_pooling_branch_adds_nothing():
    class DeadBranch(PoolNet):
        """PoolNet plus an average pool of a zero map (NB201: a pooling edge after a ``none`` edge)."""

        def __init__(self, bn: bool = True):
            super().__init__(bn)
            self.dead = nn.AvgPool2d(3, stride=1, padding=1)

        def forward(self, x):
            h = self.pool1(self.act(self.bn(self.conv1(x))))
            h = h + self.dead(h * 0)
            return self.fc(torch.flatten(self.gap(self.pool2(self.conv2(h))), 1))

    dead = make_ctx(lambda b: DeadBranch(b), inputs=inputs(), num_classes=K, seed=3)
    assert NI().score(dead) == pytest.approx(NI().score(ctx(seed=3)), rel=1e-9)


def test_failures():
    no_pool = make_ctx(
        lambda b: nn.Sequential(nn.Flatten(), nn.Linear(C_IN * HW * HW, K)), inputs=inputs(), num_classes=K
    )
    with pytest.raises(ProxyFailure):
        NI().score(no_pool)

    class DeadPool(PoolNet):
        def forward(self, x):
            return self.fc(torch.flatten(self.gap(self.conv1(x) * 0), 1))

    with pytest.raises(ProxyFailure):  # |tau| = 0
        NI().score(make_ctx(lambda b: DeadPool(b), inputs=inputs(), num_classes=K))


def test_metadata():
    assert _invalid("proxy", NI) is None
    assert ni_module.nas_harness_proxies() == [NI]
    assert NI.needs == frozenset({Needs.MODEL, Needs.DATA})
