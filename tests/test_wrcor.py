"""ACor / RCor / WRCor: exact values on tiny networks (checked against NumPy), layer readings,
weighting schemes, NaN handling, and a smoke run on NB201 models."""

from __future__ import annotations

import math

import numpy as np
import pydantic
import pytest
import torch
from proxy_helpers import declared
from torch import nn

from nas_harness.api import BuiltModel, DatasetInfo, NotApplicable, ProxyFailure, ScoreContext
from nas_harness.plugins.proxies import wrcor as W
from nas_harness.plugins.proxies.wrcor import ACor, RCor, RCorConfig, WRCor, WRCorConfig, layer_weights

DS = DatasetInfo("tiny", 3, (4,))


def make_ctx(factory, x, y) -> ScoreContext:
    def build(bn: bool = True):
        torch.manual_seed(0)
        return declared(factory())

    return ScoreContext(arch="a", space="tiny", dataset=DS, seed=0, inputs=x, targets=y, _model_factory=build)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logdet(m):
    sign, value = np.linalg.slogdet(m)
    return value


def numpy_array(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().astype(np.float64)


# --------------------------------------------------------------------------- one layer, batch of 3


class OneLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.cells = nn.ModuleList([nn.Sequential(nn.Linear(4, 6), nn.ReLU())])
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        return self.head(self.cells[0](x))


def one_layer_case():
    torch.manual_seed(3)
    x = torch.randn(3, 4, dtype=torch.float64)
    y = torch.tensor([0, 2, 1])
    return (lambda: OneLayer().double()), x, y


def test_one_linear_relu_layer_batch_of_3_matches_numpy():
    factory, x, y = one_layer_case()
    model = make_ctx(factory, x, y).build_model()
    w1, b1 = numpy_array(model.cells[0][0].weight), numpy_array(model.cells[0][0].bias)
    w2, b2 = numpy_array(model.head.weight), numpy_array(model.head.bias)
    X, n = x.numpy(), 3
    h = X @ w1.T + b1  # the pre-activation, N x 6
    p = softmax(np.maximum(h, 0) @ w2.T + b2)
    dz = (p - np.eye(3)[y.numpy()]) / n  # d mean-cross-entropy / d logits
    g = (dz @ w2) * (h > 0)  # d loss / d pre-activation, through the ReLU
    ca, cg = np.abs(np.corrcoef(h)), np.abs(np.corrcoef(g))
    assert not np.isnan(ca).any() and not np.isnan(cg).any()

    ctx = make_ctx(factory, x, y)
    assert ACor().score(ctx) == pytest.approx(logdet(ca), rel=1e-10, abs=1e-12)
    assert RCor().score(ctx) == pytest.approx(logdet(ca + cg), rel=1e-10, abs=1e-12)
    # one layer: every weighting gives weight 1, so WRCor equals RCor
    assert WRCor().score(ctx) == pytest.approx(logdet(ca + cg), rel=1e-10, abs=1e-12)


# --------------------------------------------------------------------------- two cells + a head ReLU


class TwoCells(nn.Module):
    """cells[0], cells[1] hold one ReLU each; ``lastact`` is a ReLU after the cells (layer 3)."""

    def __init__(self, inplace_last: bool = False):
        super().__init__()
        self.cells = nn.ModuleList(
            [nn.Sequential(nn.Linear(4, 6), nn.ReLU()), nn.Sequential(nn.Linear(6, 5), nn.ReLU())]
        )
        self.pre = nn.Linear(5, 4)
        self.lastact = nn.ReLU(inplace=inplace_last)
        self.classifier = nn.Linear(4, 3)

    def forward(self, x):
        for cell in self.cells:
            x = cell(x)
        return self.classifier(self.lastact(self.pre(x)))


def two_cells_case(inplace_last=False):
    torch.manual_seed(11)
    x = torch.randn(5, 4, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 1, 0])
    return (lambda: TwoCells(inplace_last).double()), x, y


def two_cells_reference(factory, x, y):
    """Per layer l = 1, 2, 3: (|corr of pre-activation|, |corr of its gradient|), by NumPy."""
    model = make_ctx(factory, x, y).build_model()
    lin = [model.cells[0][0], model.cells[1][0], model.pre, model.classifier]
    w = [numpy_array(m.weight) for m in lin]
    b = [numpy_array(m.bias) for m in lin]
    n = x.shape[0]
    h1 = x.numpy() @ w[0].T + b[0]
    h2 = np.maximum(h1, 0) @ w[1].T + b[1]
    h3 = np.maximum(h2, 0) @ w[2].T + b[2]
    p = softmax(np.maximum(h3, 0) @ w[3].T + b[3])
    dz = (p - np.eye(3)[y.numpy()]) / n
    g3 = (dz @ w[3]) * (h3 > 0)
    g2 = (g3 @ w[2]) * (h2 > 0)
    g1 = (g2 @ w[1]) * (h1 > 0)
    out = []
    for h, g in ((h1, g1), (h2, g2), (h3, g3)):
        a, c = np.abs(np.corrcoef(h)), np.abs(np.corrcoef(g))
        assert not np.isnan(a).any() and not np.isnan(c).any()
        out.append((a, c))
    return out


@pytest.mark.parametrize(
    "weighting, weights",
    [
        ("none", (1, 1, 1)),
        ("linear", (1, 2, 3)),
        ("quad", (1, 4, 9)),
        ("expb2t", (1, 2, 4)),  # the official 2**cell_index, lastact 2**len(cells)
        ("expt2b", (4, 2, 1)),
    ],
)
def test_weighted_scores_match_numpy(weighting, weights):
    factory, x, y = two_cells_case()
    ref = two_cells_reference(factory, x, y)
    ctx = make_ctx(factory, x, y)
    expected = logdet(sum(w * (a + g) for w, (a, g) in zip(weights, ref)))
    got = RCor(RCorConfig(weighting=weighting)).analyse(ctx)
    assert got.score == pytest.approx(expected, rel=1e-10)
    assert [u.layer for u in got.units] == [1, 2, 3]
    assert got.weights == {1: weights[0], 2: weights[1], 3: weights[2]}
    assert (got.used, got.skipped_nan, got.missing_grad) == (6, 0, 0)
    if weighting == "expb2t":
        assert WRCor().score(ctx) == pytest.approx(expected, rel=1e-10)
    if weighting == "none":
        acor = logdet(sum(a for a, _ in ref))
        assert ACor().score(ctx) == pytest.approx(acor, rel=1e-10)


def test_in_place_relu_contributes_its_pre_activation():
    factory, x, y = two_cells_case(inplace_last=True)
    ref = two_cells_reference(factory, x, y)
    expected = logdet(sum(w * (a + g) for w, (a, g) in zip((1, 2, 4), ref)))
    assert WRCor().score(make_ctx(factory, x, y)) == pytest.approx(expected, rel=1e-10)


# --------------------------------------------------------------------------- the gradient is per unit


class TwoBranches(nn.Module):
    """One pre-activation h feeds two ReLU units whose outputs go through different layers."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 5)
        self.relu_a, self.relu_b = nn.ReLU(), nn.ReLU()
        self.out_a, self.out_b = nn.Linear(5, 3), nn.Linear(5, 3)

    def forward(self, x):
        h = self.lin(x)
        return self.out_a(self.relu_a(h)) + self.out_b(self.relu_b(h))


def test_gradient_is_the_one_through_each_unit_not_the_total():
    torch.manual_seed(5)
    x, y = torch.randn(6, 4, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2])
    factory = lambda: TwoBranches().double()  # noqa: E731
    ctx = make_ctx(factory, x, y)
    model = ctx.build_model()
    h = x.numpy() @ numpy_array(model.lin.weight).T + numpy_array(model.lin.bias)
    z = sum(
        np.maximum(h, 0) @ numpy_array(o.weight).T + numpy_array(o.bias) for o in (model.out_a, model.out_b)
    )
    dz = (softmax(z) - np.eye(3)[y.numpy()]) / 6
    g_a = (dz @ numpy_array(model.out_a.weight)) * (h > 0)
    g_b = (dz @ numpy_array(model.out_b.weight)) * (h > 0)

    r = RCor().analyse(ctx)
    assert [u.name for u in r.units] == ["relu_a", "relu_b"]
    np.testing.assert_allclose(r.units[0].grad.numpy(), np.corrcoef(g_a), rtol=1e-10)
    np.testing.assert_allclose(r.units[1].grad.numpy(), np.corrcoef(g_b), rtol=1e-10)
    np.testing.assert_allclose(r.units[0].act.numpy(), np.corrcoef(h), rtol=1e-10)
    assert r.units[0].act is r.units[1].act  # one input tensor, computed once


def test_a_module_called_twice_gives_two_units():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = nn.Linear(4, 5), nn.Linear(5, 5), nn.Linear(5, 3)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.c(self.relu(self.b(self.relu(self.a(x)))))

    torch.manual_seed(2)
    x, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    r = RCor().analyse(make_ctx(Shared, x, y))
    assert [u.name for u in r.units] == ["relu", "relu#1"]
    assert all(u.grad is not None for u in r.units)


# --------------------------------------------------------------------------- layer readings


class WithStem(nn.Module):
    """A stem ReLU, 3 blocks (two ReLUs in block 1), a ReLU between blocks and a head ReLU."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
        self.cells = nn.ModuleList(
            [
                nn.Sequential(nn.Linear(6, 6), nn.ReLU()),
                nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU()),
                nn.Sequential(nn.Linear(6, 6), nn.ReLU()),
            ]
        )
        self.mid = nn.ReLU()
        self.lastact = nn.ReLU()
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        x = self.stem(x)
        x = self.cells[0](x)
        x = self.cells[1](x)
        x = self.mid(x - 0.1)
        x = self.cells[2](x)
        return self.head(self.lastact(x - 0.1))


def with_stem_ctx():
    torch.manual_seed(7)
    return make_ctx(WithStem, torch.randn(16, 4), torch.randint(0, 3, (16,)))


def test_block_reading_assigns_layers_from_module_names_and_execution_order():
    r = WRCor().analyse(with_stem_ctx())
    got = [(u.name, u.layer) for u in r.units]
    assert got == [
        ("stem.1", 1),  # before the first block: joins layer 1
        ("cells.0.1", 1),
        ("cells.1.1", 2),
        ("cells.1.3", 2),
        ("mid", 3),  # between blocks 1 and 2: belongs to the next block
        ("cells.2.1", 3),
        ("lastact", 4),  # after the last block: layer n + 1
    ]
    assert r.weights == {1: 1.0, 2: 2.0, 3: 4.0, 4: 8.0}
    assert r.num_layers == 4


def test_unit_reading_makes_every_unit_a_layer():
    r = WRCor(WRCorConfig(layer="unit")).analyse(with_stem_ctx())
    assert [u.layer for u in r.units] == [1, 2, 3, 4, 5, 6, 7]
    assert r.weights[7] == 64.0


def test_the_declared_cells_are_the_layers_and_without_them_weighting_is_not_applicable():
    class Stages(nn.Module):
        def __init__(self):
            super().__init__()
            self.stages = nn.ModuleList([nn.Sequential(nn.Linear(4, 6), nn.ReLU()) for _ in range(1)])
            self.stages.append(nn.Sequential(nn.Linear(6, 6), nn.ReLU()))
            self.head = nn.Linear(6, 3)

        def forward(self, x):
            for stage in self.stages:
                x = stage(x)
            return self.head(x)

    torch.manual_seed(7)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    with pytest.raises(NotApplicable, match="declare no cells"):
        WRCor().score(make_ctx(Stages, x, y))

    def with_stages(bn: bool = True):
        torch.manual_seed(0)
        model = Stages()
        return BuiltModel(module=model, cells=tuple(model.stages))

    ctx = ScoreContext(
        arch="a", space="tiny", dataset=DS, seed=0, inputs=x, targets=y, _model_factory=with_stages
    )
    r = WRCor().analyse(ctx)
    assert [(u.name, u.layer) for u in r.units] == [("stages.0.1", 1), ("stages.1.1", 2)]


def test_unweighted_scores_need_no_block_list():
    torch.manual_seed(1)
    net = lambda: nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 3))  # noqa: E731
    ctx = make_ctx(net, torch.randn(12, 4), torch.randint(0, 3, (12,)))
    assert math.isfinite(RCor().score(ctx)) and math.isfinite(ACor().score(ctx))
    with pytest.raises(NotApplicable, match="layer='unit'"):
        WRCor().score(ctx)
    assert math.isfinite(WRCor(WRCorConfig(layer="unit")).score(ctx))


# --------------------------------------------------------------------------- weighting properties


@pytest.mark.parametrize("top", [1, 2, 5, 17])
def test_layer_weight_schemes(top):
    layers = list(range(1, top + 1))
    none, lin, quad = (layer_weights(layers, s) for s in ("none", "linear", "quad"))
    b2t, t2b = layer_weights(layers, "expb2t"), layer_weights(layers, "expt2b")
    for depth in layers:
        assert none[depth] == 1 and lin[depth] == depth and quad[depth] == depth * depth
        assert b2t[depth] == 2.0 ** (depth - 1)
        assert t2b[depth] == b2t[top + 1 - depth]  # the same weights, top to bottom
        if depth > 1:
            assert b2t[depth] / b2t[depth - 1] == 2 and t2b[depth - 1] / t2b[depth] == 2


@pytest.mark.parametrize("weighting", ["none", "linear", "quad", "expb2t", "expt2b"])
def test_a_single_layer_network_scores_the_same_under_every_weighting(weighting):
    factory, x, y = one_layer_case()
    ctx = make_ctx(factory, x, y)
    assert RCor(RCorConfig(weighting=weighting)).score(ctx) == pytest.approx(RCor().score(ctx), rel=1e-12)


@pytest.mark.parametrize("weighting", ["linear", "quad", "expb2t", "expt2b"])
def test_score_is_log_det_of_the_weighted_sum_of_unit_matrices(weighting):
    r = RCor(RCorConfig(weighting=weighting)).analyse(with_stem_ctx())
    k = sum(r.weights[u.layer] * (u.act.abs() + u.grad.abs()) for u in r.units)
    assert torch.allclose(k, r.matrix)
    assert r.score == pytest.approx(torch.linalg.slogdet(k)[1].item(), rel=1e-12)


def test_exponential_weighting_follows_the_top_layers():
    """With expb2t the top layer dominates K: K / w_top tends to the top layer's matrix."""
    r = WRCor(WRCorConfig(layer="unit")).analyse(with_stem_ctx())
    top = r.units[-1]
    k_top = top.act.abs() + top.grad.abs()
    rest = r.matrix / r.weights[top.layer] - k_top
    assert rest.abs().max() <= (k_top.abs().max() * sum(2.0**-i for i in range(1, 7))) + 1e-12


# --------------------------------------------------------------------------- NaN matrices


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class DeadUnit(nn.Module):
    """Block 0 is healthy; block 1's ReLU gets an all-zero input (like NB201's ``none``)."""

    def __init__(self):
        super().__init__()
        self.cells = nn.ModuleList(
            [nn.Sequential(nn.Linear(4, 6), nn.ReLU()), nn.Sequential(nn.Linear(6, 6), Zero(), nn.ReLU())]
        )
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        h = self.cells[0](x)
        return self.head(h + self.cells[1](h))


def dead_ctx():
    torch.manual_seed(4)
    return make_ctx(
        lambda: DeadUnit().double(), torch.randn(8, 4, dtype=torch.float64), torch.randint(0, 3, (8,))
    )


def test_nan_matrices_are_skipped_and_counted():
    ctx = dead_ctx()
    r = WRCor().analyse(ctx)
    assert [u.name for u in r.units] == ["cells.0.1", "cells.1.2"]
    dead = r.units[1]
    assert dead.act is None and dead.act_nan and dead.grad is None and dead.grad_nan
    assert (r.used, r.skipped_nan, r.missing_grad) == (2, 2, 0)
    alive = r.units[0]
    expected = torch.linalg.slogdet(alive.act.abs() + alive.grad.abs())[1].item()
    assert r.score == pytest.approx(expected, rel=1e-12)  # weight 1: only layer 1 is left


def test_nan_policy_fail_raises():
    with pytest.raises(ProxyFailure, match="NaN"):
        WRCor(WRCorConfig(nan_policy="fail")).score(dead_ctx())


def test_all_matrices_nan_raises_proxy_failure():
    class AllDead(nn.Module):
        def __init__(self):
            super().__init__()
            self.cells = nn.ModuleList([nn.Sequential(nn.Linear(4, 6), Zero(), nn.ReLU())])
            self.head = nn.Linear(6, 3)

        def forward(self, x):
            return self.head(self.cells[0](x))

    ctx = make_ctx(AllDead, torch.randn(8, 4), torch.randint(0, 3, (8,)))
    for proxy in (ACor(), RCor(), WRCor()):
        with pytest.raises(ProxyFailure, match="NaN or missing"):
            proxy.score(ctx)


def test_sample_correlation_is_numpy_corrcoef():
    torch.manual_seed(0)
    x = torch.randn(7, 3, 5, 5)
    ref = np.corrcoef(x.reshape(7, -1).numpy().astype(np.float64))
    np.testing.assert_allclose(W.sample_correlation(x, "float64").numpy(), ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(W.sample_correlation(x, "input").numpy(), ref, rtol=1e-5, atol=1e-6)
    x[2] = 1.5  # a constant sample: NaN, as NumPy
    assert torch.isnan(W.sample_correlation(x)[2]).all()


def test_plugin_hook_lists_the_three_proxies():
    classes = W.nas_harness_proxies()
    assert [c.name for c in classes] == ["acor", "rcor", "wrcor"]
    assert WRCor().config.weighting == "expb2t" and RCor().config.weighting == "none"
    assert all(c.higher_is_better for c in classes)
    with pytest.raises(pydantic.ValidationError):
        WRCorConfig(unknown=1)


# --------------------------------------------------------------------------- NB201 models


def nb201_ctx(arch, seed=0):
    from nas_harness.plugins.spaces.nb201 import NB201Space

    space = NB201Space()
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, 32, 32, generator=gen)
    y = torch.randint(0, 10, (16,), generator=gen)

    def build(bn=True):
        torch.manual_seed(seed)
        return space.build_model(arch, "cifar10", bn=bn)

    return ScoreContext(
        arch=arch,
        space="nb201",
        dataset=space.dataset("cifar10"),
        seed=seed,
        inputs=x,
        targets=y,
        _model_factory=build,
    )


def test_nb201_cells_give_the_official_layer_indices():
    arch = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
    r = WRCor().analyse(nb201_ctx(arch))
    # 3 conv edges x 15 cells + 2 x 2 in the residual blocks + lastact
    assert len(r.units) == 3 * 15 + 4 + 1
    assert r.missing_grad == 0 and r.skipped_nan == 0
    # 17 blocks (15 cells + 2 residual blocks) -> layers 1..17, lastact 18 (weight 2**17)
    assert {u.layer for u in r.units} == set(range(1, 19))
    assert r.units[-1].name == "lastact.1" and r.weights[18] == 2.0**17
    assert math.isfinite(r.score)


def test_nb201_network_with_zero_output_fails_cleanly():
    arch = "|none~0|+|none~0|none~1|+|none~0|none~1|avg_pool_3x3~2|"
    with pytest.raises(ProxyFailure, match="NaN"):
        WRCor().score(nb201_ctx(arch))
