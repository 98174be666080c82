"""The rest of WRCor's Table 2: phi, bt, bndl_ent, ly_dyn_iso, dyn_iso, net_sens.

Each value is recomputed independently (by hand, with numpy, or with a different torch route)
on tiny networks; plus determinism for a seed and each proxy's orientation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from proxy_helpers import declared
from torch import nn

from nas_harness.api import DatasetInfo, Needs, NotApplicable, ProxyFailure, ScoreContext
from nas_harness.host import _invalid
from nas_harness.plugins.proxies import bundle_entropy as be
from nas_harness.plugins.proxies import perturbation as pt
from nas_harness.plugins.proxies import signal_propagation as sp

N, C_IN, HW, K = 8, 3, 6, 3
DATASET = DatasetInfo("tiny", K, (C_IN, HW, HW))


# --------------------------------------------------------------------------- tiny models


class Block(nn.Module):
    def __init__(self, c: int, bn: bool):
        super().__init__()
        norm = nn.BatchNorm2d(c) if bn else nn.Identity()
        self.op = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, bias=False), norm)

    def forward(self, x):
        return x + self.op(x)


class TinyNet(nn.Module):
    """NB201's skeleton in miniature: stem, ``cells``, lastact, global pooling, classifier."""

    def __init__(self, bn: bool = True, c: int = 4, blocks: int = 2):
        super().__init__()
        norm = nn.BatchNorm2d(c) if bn else nn.Identity()
        self.stem = nn.Sequential(nn.Conv2d(C_IN, c, 3, padding=1, bias=False), norm)
        self.cells = nn.ModuleList(Block(c, bn) for _ in range(blocks))
        self.lastact = nn.Sequential(nn.BatchNorm2d(c) if bn else nn.Identity(), nn.ReLU())
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, K)

    def forward(self, x):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.classifier(torch.flatten(self.global_pooling(self.lastact(x)), 1))


class LinearConvNet(nn.Module):
    """Features = conv(x) (no BN, no ReLU), so the pre-GAP map is linear in the input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(C_IN, 2, 3, padding=1, bias=False)
        self.features = self.conv  # the feature map before the head is the conv's output
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(2, K)

    def forward(self, x):
        return self.classifier(torch.flatten(self.global_pooling(self.conv(x)), 1))


def batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, C_IN, HW, HW, generator=g)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 0])
    return x, y


def context(make, seed: int = 3) -> ScoreContext:
    x, y = batch()

    def factory(*, bn: bool = True):
        torch.manual_seed(seed)
        return declared(make(bn))

    return ScoreContext(
        arch="tiny",
        space="tiny",
        dataset=DATASET,
        seed=seed,
        inputs=x,
        targets=y,
        _model_factory=factory,
    )


def tiny(bn: bool = True) -> nn.Module:
    return TinyNet(bn=bn)


ALL = [pt.Phi, pt.BT, be.BndlEnt, sp.LyDynIso, sp.DynIso, sp.NetSens]


# --------------------------------------------------------------------------- plugin metadata


def test_hooks_and_metadata():
    names = {cls.name for mod in (pt, be, sp) for cls in mod.nas_harness_proxies()}
    assert names == {"phi", "bt", "bndl_ent", "ly_dyn_iso", "dyn_iso", "net_sens"}
    for cls in ALL:
        assert _invalid("proxy", cls) is None
        assert cls.summary and cls.__doc__ and cls.version
        with pytest.raises(ValueError):
            cls.Config(no_such_option=1)
    assert be.BndlEnt.higher_is_better is False
    assert all(c.higher_is_better for c in ALL if c is not be.BndlEnt)
    assert pt.Phi.needs == frozenset({Needs.MODEL}) and sp.LyDynIso.needs == frozenset({Needs.MODEL})


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_deterministic_for_a_seed(cls):
    a, b = cls().score(context(tiny)), cls().score(context(tiny))
    assert a == b and math.isfinite(a)


# --------------------------------------------------------------------------- LyDynIso


def test_ly_dyn_iso_by_hand():
    lin = nn.Linear(2, 2, bias=False)
    conv = nn.Conv2d(1, 2, 1, bias=False)  # out = 2 > fan_in = 1
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[2.0, 0.0], [0.0, 1.0]]))  # W W^T - I = diag(3, 0)
        conv.weight.copy_(torch.ones(2, 1, 1, 1))  # W^T W = [2]; W W^T = [[1, 1], [1, 1]]
    model = nn.Sequential(conv, lin)
    assert sp.LyDynIso().layer_penalties(model) == pytest.approx({"0": 1.0, "1": 3.0})
    rows = sp.LyDynIso(sp.LyDynIsoConfig(gram="rows")).layer_penalties(model)
    assert rows == pytest.approx({"0": math.sqrt(2.0), "1": 3.0})


def test_ly_dyn_iso_orthogonal_is_zero_and_scaling_lowers_it():
    model = nn.Sequential(nn.Linear(5, 3), nn.Conv2d(2, 4, 3))
    for m in model:
        nn.init.orthogonal_(m.weight)
    penalty = sum(sp.LyDynIso().layer_penalties(model).values())
    assert penalty == pytest.approx(0.0, abs=1e-5)  # float32 weights
    with torch.no_grad():
        model[0].weight.mul_(2.0)
    assert sum(sp.LyDynIso().layer_penalties(model).values()) > 1.0


def test_ly_dyn_iso_matches_numpy_singular_values():
    score = sp.LyDynIso().score(context(tiny))
    torch.manual_seed(3)
    model = TinyNet()
    expected = 0.0
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = m.weight.detach().numpy().astype(np.float64).reshape(m.weight.shape[0], -1)
            s = np.linalg.svd(w, compute_uv=False)
            expected += math.sqrt(float(np.sum((s**2 - 1.0) ** 2)))
    assert score == pytest.approx(-expected, rel=1e-10)


# --------------------------------------------------------------------------- Jacobian, DynIso, NetSens


def test_input_jacobian_of_a_linear_map_is_its_matrix():
    d = C_IN * HW * HW
    model = nn.Sequential(nn.Flatten(), nn.Linear(d, K, bias=False))
    x, _ = batch()
    jac = sp.input_jacobian(model, x)
    w = model[1].weight.detach()
    assert jac.shape == (N, K, d)
    assert torch.allclose(jac, w.expand(N, K, d))


def test_input_jacobian_against_full_autograd_jacobian_with_train_mode_bn():
    torch.manual_seed(0)
    model = TinyNet(bn=True).train()
    n = 4
    x = batch()[0][:n, :, :4, :4]
    full = torch.autograd.functional.jacobian(model, x, vectorize=True)  # (n, K, n, C, H, W)
    full = full.reshape(n, K, n, -1)
    expected = full.sum(dim=0).transpose(0, 1)  # row k of sample i: sum_m d logits[m, k] / d x_i
    assert torch.allclose(sp.input_jacobian(model, x), expected, atol=1e-5, rtol=1e-4)
    # in eval mode the samples are independent and each J_i is the diagonal block
    model.eval()
    full = torch.autograd.functional.jacobian(model, x, vectorize=True).reshape(n, K, n, -1)
    diag = torch.stack([full[i, :, i] for i in range(n)])
    assert torch.allclose(sp.input_jacobian(model, x), diag, atol=1e-6)


def test_dyn_iso_and_net_sens_on_a_linear_model_match_numpy():
    d = C_IN * HW * HW

    def make(bn):
        return nn.Sequential(nn.Flatten(), nn.Linear(d, K, bias=False))

    ctx = context(make)
    torch.manual_seed(3)
    w = make(True)[1].weight.detach().numpy().astype(np.float64)
    s = np.linalg.svd(w, compute_uv=False)
    v = np.mean(np.log(s))
    assert sp.DynIso().score(ctx) == pytest.approx(-(v + np.exp(-v)), rel=1e-10)
    sq = sp.DynIso(sp.DynIsoConfig(penalty="sq_dev")).score(ctx)
    assert sq == pytest.approx(-np.mean((s - 1.0) ** 2), rel=1e-10)
    assert sp.NetSens().score(ctx) == pytest.approx(np.abs(w).sum(), rel=1e-6)
    summed = sp.NetSens(sp.NetSensConfig(reduction="summed_outputs")).score(ctx)
    assert summed == pytest.approx(np.abs(w.sum(axis=0)).sum(), rel=1e-6)


def test_dyn_iso_isometric_map_is_best():
    s_iso = torch.ones(4, 3, dtype=torch.float64)
    assert sp.dyn_iso_from_singular_values(s_iso, "log_gm") == pytest.approx(-1.0)
    assert sp.dyn_iso_from_singular_values(s_iso, "sq_dev") == 0.0
    for scale in (0.1, 10.0):
        assert sp.dyn_iso_from_singular_values(scale * s_iso, "log_gm") < -1.0
    with pytest.raises(ProxyFailure):
        sp.dyn_iso_from_singular_values(torch.tensor([[1.0, 0.0]], dtype=torch.float64), "log_gm")


def test_jacobian_probe_is_shared_between_dyn_iso_and_net_sens():
    ctx = context(tiny)
    sp.DynIso().score(ctx)
    assert sp.INPUT_JACOBIAN_KEY in ctx._shared
    probe = ctx._shared[sp.INPUT_JACOBIAN_KEY]
    sp.NetSens().score(ctx)
    assert ctx._shared[sp.INPUT_JACOBIAN_KEY] is probe
    assert sp.NetSens().score(ctx) == sp.NetSens().score(context(tiny))


def test_net_sens_scales_with_the_output():
    ctx = context(tiny)
    base = sp.NetSens().score(ctx)

    def doubled(bn):
        m = TinyNet(bn=bn)
        with torch.no_grad():
            m.classifier.weight.mul_(2.0)
        return m

    assert sp.NetSens().score(context(doubled)) == pytest.approx(2.0 * base, rel=1e-6)


# --------------------------------------------------------------------------- Phi


def test_phi_of_a_linear_feature_map_by_direct_convolution():
    torch.manual_seed(0)
    model = LinearConvNet()
    g = torch.Generator().manual_seed(1)
    x, eps = torch.randn(N, C_IN, HW, HW, generator=g), torch.randn(N, C_IN, HW, HW, generator=g)
    alpha = 0.01
    # linear features: f(x + a e) - f(x) = a f(e)
    d = F.conv2d(eps.double(), model.conv.weight.detach().double(), padding=1).reshape(N, -1)
    l1 = math.log(float(d.abs().sum(dim=1).mean()))
    fro = math.log(float(d.pow(2).sum(dim=1).sqrt().mean()))
    assert pt.phi_value(declared(model), x, eps, alpha, "l1") == pytest.approx(l1, rel=1e-5)
    assert pt.phi_value(declared(model), x, eps, alpha, "fro") == pytest.approx(fro, rel=1e-5)


def test_phi_uses_a_bn_free_model_and_is_log_homogeneous():
    built = []

    def make(bn):
        built.append(bn)
        return TinyNet(bn=bn)

    base = pt.Phi().score(context(make))
    assert built == [False]
    with_bn = pt.Phi(pt.PhiConfig(bn=True)).score(context(make))
    assert built == [False, True] and with_bn != base

    def scaled(bn):  # no BN, no biases before the features: f is homogeneous in the stem weights
        m = TinyNet(bn=bn)
        with torch.no_grad():
            m.stem[0].weight.mul_(10.0)
        return m

    assert pt.Phi().score(context(scaled)) == pytest.approx(base + math.log(10.0), abs=1e-4)


def test_phi_fails_when_features_ignore_the_input():
    def dead(bn):
        m = LinearConvNet()
        nn.init.zeros_(m.conv.weight)
        return m

    with pytest.raises(ProxyFailure):
        pt.Phi().score(context(dead))
    with pytest.raises(NotApplicable):  # no declared feature map
        pt.Phi().score(context(lambda bn: nn.Sequential(nn.Flatten(), nn.Linear(C_IN * HW * HW, K))))


# --------------------------------------------------------------------------- BT


def numpy_barlow_twins(z1: np.ndarray, z2: np.ndarray, lambd: float, eps: float) -> float:
    def std(z):
        z = z - z.mean(axis=0)
        return z / np.sqrt(z.var(axis=0) + eps)

    n = z1.shape[0]
    c = std(z1).T @ std(z2) / n  # explicit D x D cross-correlation
    off = c - np.diag(np.diag(c))
    return float(np.sum((1 - np.diag(c)) ** 2) + lambd * np.sum(off**2))


def test_barlow_twins_loss_matches_explicit_cross_correlation():
    rng = np.random.default_rng(0)
    z1 = rng.normal(size=(N, 5))
    z2 = z1 + 0.3 * rng.normal(size=(N, 5))
    z2[:, 4] = 7.0  # a constant feature: standardized to 0 with eps > 0
    for lambd, eps in ((0.005, 1e-5), (1.0, 0.1)):
        got = pt.barlow_twins_loss(torch.tensor(z1), torch.tensor(z2), lambd, eps)
        assert got == pytest.approx(numpy_barlow_twins(z1, z2, lambd, eps), rel=1e-10)
    with pytest.raises(ProxyFailure):
        pt.barlow_twins_loss(torch.tensor(z1), torch.tensor(z2), 0.005, 0.0)


def test_barlow_twins_loss_by_hand():
    z = torch.tensor([[1.0], [-1.0]])
    assert pt.barlow_twins_loss(z, z, 0.005, 0.0) == pytest.approx(0.0)  # C = [1]
    assert pt.barlow_twins_loss(z, -z, 0.005, 0.0) == pytest.approx(4.0)  # C = [-1]
    z2 = torch.tensor([[1.0, 1.0], [-1.0, -1.0]])  # C = [[1, 1], [1, 1]]: two off-diagonal 1s
    assert pt.barlow_twins_loss(z2, z2, 0.5, 0.0) == pytest.approx(1.0)


def test_bt_proxy_recomputed_from_the_features():
    ctx = context(tiny)
    score = pt.BT().score(ctx)
    x, _ = batch()
    g = torch.Generator().manual_seed(ctx.seed)
    e1, e2 = torch.randn(x.shape, generator=g), torch.randn(x.shape, generator=g)
    torch.manual_seed(ctx.seed)
    model = TinyNet().train()
    feats = []
    model.global_pooling.register_forward_hook(lambda m, args, out: feats.append(args[0].detach()))
    with torch.no_grad():
        model(x + 0.01 * e1)
        model(x + 0.01 * e2)
    z1, z2 = (f.reshape(N, -1).double().numpy() for f in feats)
    expected = numpy_barlow_twins(z1, z2, 0.005, 1e-5)
    assert score == pytest.approx(-expected, rel=1e-9)
    assert score < 0


# --------------------------------------------------------------------------- BndlEnt


def test_bundle_entropy_by_hand():
    ids = torch.tensor([0, 0, 1, 1])
    assert be.bundle_entropy(ids, torch.tensor([0, 1, 2, 2])) == pytest.approx(0.5 * math.log(2))
    assert be.bundle_entropy(torch.arange(4), torch.tensor([0, 1, 2, 3])) == 0.0
    labels = torch.tensor([0, 0, 1, 2])
    p = np.array([0.5, 0.25, 0.25])
    one_bundle = torch.zeros(4, dtype=torch.long)
    assert be.bundle_entropy(one_bundle, labels) == pytest.approx(-np.sum(p * np.log(p)))


def test_bundles_float_equality_and_tolerance():
    a = torch.tensor([[0.0, 1.0], [1e-7, 1.0], [1.0, 1.0]])
    ids = be.bundles_float_equality(a, w_max=1.0, lr=1e-3)
    assert ids[0] == ids[1] and ids[2] != ids[0]
    ids = be.bundles_tolerance(torch.tensor([[0.0], [0.4], [0.8], [5.0]]), gamma=0.5)
    assert ids.tolist() == [0, 0, 1, 2]  # greedy from the first unassigned sample


def test_bndl_ent_proxy_extremes_and_layers():
    ctx = context(tiny)
    proxy = be.BndlEnt()
    assert proxy.layer_entropies(ctx) == [0.0, 0.0]  # distinct samples: pure singleton bundles

    def collapsed(bn):  # blocks output zeros for every sample: one bundle per layer
        m = TinyNet(bn=bn)
        for cell in m.cells:
            cell.forward = lambda x: x * 0.0
        return m

    _, y = batch()
    p = torch.bincount(y).double() / len(y)
    label_entropy = float(-(p * p.log()).sum())
    assert proxy.score(context(collapsed)) == pytest.approx(label_entropy)
    assert proxy.score(context(collapsed)) > proxy.score(ctx)  # more conflicts = worse = higher value
    with pytest.raises(NotApplicable):
        proxy.score(context(lambda bn: LinearConvNet()))  # its space declares no cells
