"""zen: the Zen-score recomputed by hand (functional forward passes) on a tiny conv net."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from proxy_helpers import make_ctx
from pydantic import ValidationError
from torch import nn

from nas_harness.api import Needs, ProxyFailure
from nas_harness.host import _invalid
from nas_harness.plugins.proxies import zen as zen_module
from nas_harness.plugins.proxies.zen import Zen, ZenConfig

C_IN, HW, WIDTH = 3, 6, 4


class ZenNet(nn.Module):
    """conv -> BN -> ReLU -> conv -> BN -> ReLU -> global pool -> linear."""

    def __init__(self, bn: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(C_IN, WIDTH, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(WIDTH)
        self.conv2 = nn.Conv2d(WIDTH, WIDTH, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(WIDTH)
        self.lastact = nn.ReLU()  # the feature map before the head (BuiltModel.features)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(WIDTH, 2)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.lastact(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def ctx(seed: int = 0):
    return make_ctx(lambda bn: ZenNet(bn), input_shape=(C_IN, HW, HW), num_classes=2, seed=seed)


def by_hand(w1, w2, x, eps, gamma, variance: str) -> float:
    """Zen from the definition: functional forward passes, BN with batch statistics."""

    def bn(z):
        mu = z.mean(dim=(0, 2, 3), keepdim=True)
        var = z.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
        return (
            (z - mu) / torch.sqrt(var + 1e-5),
            z.var(dim=(0, 2, 3), unbiased=False),
            z.var(dim=(0, 2, 3), unbiased=True),
        )

    def features(inp):
        z1 = F.conv2d(inp, w1, padding=1)
        a1, v1, u1 = bn(z1)
        z2 = F.conv2d(F.relu(a1), w2, padding=1)
        a2, v2, u2 = bn(z2)
        return F.relu(a2).double(), (v1, v2), (u1, u2)

    f0, batch_vars, unbiased0 = features(x)
    f1, _, unbiased1 = features(x + gamma * eps)
    delta = (f0 - f1).abs().sum(dim=(1, 2, 3)).mean().item()
    if variance == "batch":
        variances = [v.double().mean().item() for v in batch_vars]
    else:  # running_var after two train-mode passes, momentum 0.1, starting at 1
        m = 0.1
        variances = [
            ((1 - m) * ((1 - m) * 1 + m * a) + m * b).double().mean().item()
            for a, b in zip(unbiased0, unbiased1)
        ]
    return math.log(delta) + sum(0.5 * math.log(v) for v in variances)


@pytest.mark.parametrize("variance", ["batch", "running"])
def test_matches_hand_computation_with_engine_init(variance):
    cfg = ZenConfig(batch_size=5, mixup_gamma=0.05, gaussian_init=False, bn_variance=variance)
    c = ctx(seed=3)
    model = c.build_model()
    gen = torch.Generator().manual_seed(3)  # the proxy draws x, then eps, from ctx.seed
    x = torch.randn((5, C_IN, HW, HW), generator=gen)
    eps = torch.randn((5, C_IN, HW, HW), generator=gen)
    expected = by_hand(model.conv1.weight.detach(), model.conv2.weight.detach(), x, eps, 0.05, variance)
    assert Zen(cfg).score(c) == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_gaussian_init_draws_standard_normal_weights_from_the_seed():
    # weights are re-drawn from N(0, 1) in module order, then x and eps, all from ctx.seed
    c = ctx(seed=5)
    gen = torch.Generator().manual_seed(5)
    w1 = torch.randn((WIDTH, C_IN, 3, 3), generator=gen)
    w2 = torch.randn((WIDTH, WIDTH, 3, 3), generator=gen)
    torch.randn((2, WIDTH), generator=gen)  # the classifier (not in the features)
    x = torch.randn((6, C_IN, HW, HW), generator=gen)
    eps = torch.randn((6, C_IN, HW, HW), generator=gen)
    expected = by_hand(w1, w2, x, eps, 1e-2, "batch")
    assert Zen(ZenConfig(batch_size=6)).score(c) == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_gaussian_init_ignores_the_engine_init_but_not_the_seed():
    # two contexts whose models are initialized differently but share ctx.seed
    def context(init_seed: int, seed: int):
        c = ctx(seed=seed)
        factory = c._model_factory

        def build(bn: bool = True):
            built = factory(bn=bn)
            torch.manual_seed(init_seed)
            for p in built.module.parameters():
                nn.init.uniform_(p, -3, 3)
            return built

        c._model_factory = build
        return c

    zen = Zen(ZenConfig(batch_size=4))
    assert zen.score(context(1, seed=7)) == zen.score(context(2, seed=7))
    assert zen.score(context(1, seed=7)) != zen.score(context(1, seed=8))


def test_deterministic_data_free_and_repeats_average():
    c = ctx(seed=2)
    assert c.inputs is None
    one = Zen(ZenConfig(batch_size=4)).score(c)
    assert one == Zen(ZenConfig(batch_size=4)).score(ctx(seed=2))
    three = Zen(ZenConfig(batch_size=4, repeats=3)).score(c)
    assert math.isfinite(three) and three != one


def test_dead_branch_batchnorm_is_left_out():
    class DeadBranch(ZenNet):
        """ZenNet plus a conv -> BN branch fed zeros (NB201: a conv after a ``none`` edge)."""

        def __init__(self, bn: bool = True):
            super().__init__(bn)  # same weights as ZenNet for the same seed
            self.conv_dead = nn.Conv2d(WIDTH, WIDTH, 1, bias=False)
            self.bn_dead = nn.BatchNorm2d(WIDTH)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            dead = self.bn_dead(self.conv_dead(x * 0))
            x = self.lastact(self.bn2(self.conv2(x)) + dead)
            return self.fc(torch.flatten(self.pool(x), 1))

    cfg = ZenConfig(batch_size=4, gaussian_init=False)
    dead = make_ctx(lambda bn: DeadBranch(bn), input_shape=(C_IN, HW, HW), num_classes=2, seed=1)
    assert Zen(cfg).score(dead) == pytest.approx(Zen(cfg).score(ctx(seed=1)), rel=1e-6)


def test_constant_features_fail():
    class Dead(ZenNet):
        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.lastact(torch.zeros_like(self.conv1(x)))), 1))

    c = make_ctx(lambda bn: Dead(bn), input_shape=(C_IN, HW, HW), num_classes=2)
    with pytest.raises(ProxyFailure):
        Zen(ZenConfig(batch_size=3)).score(c)


def test_metadata():
    assert _invalid("proxy", Zen) is None
    assert zen_module.nas_harness_proxies() == [Zen]
    assert Zen.higher_is_better is True and Zen.needs == frozenset({Needs.MODEL})
    assert ZenConfig().mixup_gamma == 1e-2
    with pytest.raises(ValidationError):
        ZenConfig(repeats=0)
