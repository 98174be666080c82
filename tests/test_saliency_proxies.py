"""l2_norm, fisher, grasp, plain and epe_nas on tiny networks whose values are computed here
independently with NumPy (hand-written backprop, closed-form or finite-difference Hessians)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from nas_harness.api import DatasetInfo, ProxyFailure, ScoreContext
from nas_harness.plugins.proxies.epe_nas import EPENAS, EPENASConfig
from nas_harness.plugins.proxies.fisher import Fisher, FisherConfig
from nas_harness.plugins.proxies.grasp import GraSP
from nas_harness.plugins.proxies.l2_norm import L2Norm, L2NormConfig
from nas_harness.plugins.proxies.plain import Plain

D_IN, HIDDEN, CLASSES, N = 5, 7, 3, 9


def make_ctx(factory, x, y, num_classes=CLASSES) -> ScoreContext:
    def build(bn: bool = True):
        torch.manual_seed(0)
        return factory()

    return ScoreContext(
        arch="a",
        space="tiny",
        dataset=DatasetInfo("tiny", num_classes, (x.shape[1],)),
        seed=0,
        inputs=x,
        targets=y,
        _model_factory=build,
    )


def mlp():
    return nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES)).double()


def mlp_case(seed=0, n=N):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, D_IN, generator=gen, dtype=torch.float64)
    y = torch.randint(0, CLASSES, (n,), generator=gen)
    ctx = make_ctx(mlp, x, y)
    m = ctx.build_model()
    params = [m[0].weight, m[0].bias, m[2].weight, m[2].bias]
    return ctx, [p.detach().numpy().copy() for p in params], x.numpy(), y.numpy()


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward_backward(params, x, y):
    """Mean cross-entropy of the 2-layer ReLU MLP by hand: activations and gradients."""
    w1, b1, w2, b2 = params
    n = x.shape[0]
    h = x @ w1.T + b1
    r = np.maximum(h, 0)
    z = r @ w2.T + b2
    dz = (softmax(z) - np.eye(w2.shape[0])[y]) / n
    dw2 = dz.T @ r
    dh = (dz @ w2) * (h > 0)
    dw1 = dh.T @ x
    return dict(h=h, z=z, dz=dz, dh=dh, dw1=dw1, dw2=dw2)


# --------------------------------------------------------------------------- l2_norm


def test_l2_norm_sums_frobenius_norms_of_conv_and_linear_weights():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.bn = nn.BatchNorm2d(4)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(self.bn(self.conv(x)).mean((2, 3)))

    ctx = make_ctx(Net, torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    m = ctx.build_model()
    conv_w, fc_w = m.conv.weight.detach().numpy(), m.fc.weight.detach().numpy()
    expected = np.sqrt((conv_w.astype(np.float64) ** 2).sum()) + np.sqrt((fc_w.astype(np.float64) ** 2).sum())
    assert L2Norm().score(ctx) == pytest.approx(expected, rel=1e-9)
    every = sum(np.sqrt((p.detach().numpy().astype(np.float64) ** 2).sum()) for p in m.parameters())
    assert L2Norm(L2NormConfig(parameters="all")).score(ctx) == pytest.approx(every, rel=1e-9)
    # conv bias (4), BN weight (ones: norm 2), BN bias (zeros) and fc bias are the difference
    assert L2Norm(L2NormConfig(parameters="all")).score(ctx) > L2Norm().score(ctx) + 2


# --------------------------------------------------------------------------- plain


def test_plain_is_sum_of_weight_times_gradient():
    ctx, params, x, y = mlp_case()
    fb = forward_backward(params, x, y)
    expected = (params[0] * fb["dw1"]).sum() + (params[2] * fb["dw2"]).sum()  # weights only, no biases
    assert Plain().score(ctx) == pytest.approx(expected, rel=1e-10, abs=1e-14)


def test_plain_scores_in_train_mode_with_batch_statistics():
    def net():
        m = nn.Sequential(
            nn.Linear(D_IN, HIDDEN), nn.BatchNorm1d(HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES)
        )
        return m.double().eval()  # handed over in eval mode: the proxy must switch to train mode

    ctx, _, _, _ = mlp_case()
    ctx = make_ctx(net, ctx.inputs, ctx.targets)
    m = ctx.build_model().train()
    loss = nn.functional.cross_entropy(m(ctx.inputs), ctx.targets)
    weights = [m[0].weight, m[3].weight]
    grads = torch.autograd.grad(loss, weights)
    expected = sum((w * g).sum().item() for w, g in zip(weights, grads))
    assert Plain().score(ctx) == pytest.approx(expected, rel=1e-10)


# --------------------------------------------------------------------------- grasp


def test_grasp_single_linear_layer_matches_closed_form_hessian():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(N, D_IN, generator=gen, dtype=torch.float64)
    y = torch.randint(0, CLASSES, (N,), generator=gen)
    ctx = make_ctx(lambda: nn.Linear(D_IN, CLASSES).double(), x, y)
    m = ctx.build_model()
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    X = x.numpy()
    p = softmax(X @ w.T + b)
    g = (p - np.eye(CLASSES)[y.numpy()]).T @ X / N  # dL/dW
    hg = np.zeros_like(w)
    for n in range(N):  # H = 1/N sum_n (diag p_n - p_n p_n^T) (x) x_n x_n^T
        s = np.diag(p[n]) - np.outer(p[n], p[n])
        hg += np.outer(s @ (g @ X[n]), X[n]) / N
    assert GraSP().score(ctx) == pytest.approx(-(w * hg).sum(), rel=1e-9)


def test_grasp_two_layer_relu_mlp_matches_finite_difference_hessian():
    ctx, params, x, y = mlp_case(seed=2)
    fb = forward_backward(params, x, y)
    g1, g2 = fb["dw1"], fb["dw2"]
    eps = 1e-6

    def grads_at(sign):
        w1 = params[0] + sign * eps * g1
        w2 = params[2] + sign * eps * g2
        out = forward_backward([w1, params[1], w2, params[3]], x, y)
        return out["dw1"], out["dw2"]

    (p1, p2), (m1, m2) = grads_at(+1), grads_at(-1)
    hg1, hg2 = (p1 - m1) / (2 * eps), (p2 - m2) / (2 * eps)  # H g restricted to the weights
    expected = -((params[0] * hg1).sum() + (params[2] * hg2).sum())
    assert GraSP().score(ctx) == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------- fisher


def test_fisher_on_an_mlp_matches_hand_computation():
    ctx, params, x, y = mlp_case(seed=3)
    fb = forward_backward(params, x, y)
    # per channel: 1/2 mean_n (output * d loss/d output)^2 at the two Linear modules' outputs
    s1 = 0.5 * ((fb["h"] * fb["dh"]) ** 2).mean(0)
    s2 = 0.5 * ((fb["z"] * fb["dz"]) ** 2).mean(0)
    assert Fisher(FisherConfig(per_weight=False)).score(ctx) == pytest.approx(s1.sum() + s2.sum(), rel=1e-10)
    # zero-cost-nas counts each channel once per weight of the channel: in_features times here
    per_weight = D_IN * s1.sum() + HIDDEN * s2.sum()
    assert Fisher().score(ctx) == pytest.approx(per_weight, rel=1e-10)


def test_fisher_sums_over_spatial_positions_for_convolutions():
    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 4, 3, padding=1)
            self.fc = nn.Linear(4, CLASSES)

        def forward(self, x):
            return self.fc(torch.relu(self.conv(x)).mean((2, 3)))

    gen = torch.Generator().manual_seed(4)
    x = torch.randn(6, 2, 5, 5, generator=gen, dtype=torch.float64)
    y = torch.randint(0, CLASSES, (6,), generator=gen)
    ctx = make_ctx(lambda: ConvNet().double(), x, y)
    # independent: autograd of the loss w.r.t. the retained conv output, no hooks
    m = ctx.build_model()
    a = m.conv(x)
    a.retain_grad()
    z = m.fc(torch.relu(a).mean((2, 3)))
    z.retain_grad()
    nn.functional.cross_entropy(z, y).backward()
    s_conv = 0.5 * ((a * a.grad).sum((2, 3)) ** 2).mean(0)
    s_fc = 0.5 * ((z * z.grad) ** 2).mean(0)
    expected = 2 * 3 * 3 * s_conv.sum().item() + 4 * s_fc.sum().item()
    assert Fisher().score(ctx) == pytest.approx(expected, rel=1e-10)
    names = set(Fisher().channel_saliency(ctx))
    assert names == {"conv", "fc"}


def test_fisher_refuses_an_activation_modified_in_place():
    class InPlace(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(D_IN, HIDDEN), nn.Linear(HIDDEN, CLASSES)

        def forward(self, x):
            return self.b(torch.relu_(self.a(x)))

    ctx, _, _, _ = mlp_case()
    ctx = make_ctx(lambda: InPlace().double(), ctx.inputs, ctx.targets)
    with pytest.raises(ProxyFailure, match="in place"):
        Fisher().score(ctx)


# --------------------------------------------------------------------------- epe_nas


def input_jacobians(params, x):
    w1, b1, w2, _ = params
    h = x @ w1.T + b1
    return ((h > 0) * w2.sum(0)) @ w1  # d(sum_c z_c)/dx per sample


def test_epe_nas_matches_hand_computation_with_a_single_sample_class():
    # classes: 0 x4, 1 x4, 2 x1 (a one-sample class counts log(1 + k))
    ctx, params, x, _ = mlp_case(seed=5)
    y = np.array([0, 1, 0, 1, 0, 1, 2, 0, 1])
    ctx = make_ctx(mlp, ctx.inputs, torch.from_numpy(y))
    jac = input_jacobians(params, x)
    k = 1e-5
    s = {c: np.log(np.abs(np.corrcoef(jac[y == c])) + k).sum() for c in (0, 1)}
    expected = abs(s[0]) + abs(s[1]) + abs(math.log(1 + k))
    assert EPENAS().score(ctx) == pytest.approx(expected, rel=1e-10)

    # the > 100-class formula: normalised per class, mean absolute pairwise difference,
    # the one-sample class skipped as in the reference
    sn = {c: s[c] / (y == c).sum() for c in (0, 1)}
    pairwise = 2 * abs(sn[0] - sn[1]) / 2
    got = EPENAS(EPENASConfig(aggregation="pairwise")).score(ctx)
    assert got == pytest.approx(pairwise, rel=1e-10)


def test_epe_nas_chooses_the_formula_from_the_number_of_logits():
    def wide():
        return nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 120)).double()

    ctx, _, _, _ = mlp_case(seed=6)
    y = torch.tensor([0, 1, 0, 1, 0, 1, 5, 5, 5])
    ctx = make_ctx(wide, ctx.inputs, y, num_classes=120)
    auto = EPENAS().score(ctx)
    assert auto == pytest.approx(EPENAS(EPENASConfig(aggregation="pairwise")).score(ctx), rel=1e-12)
    assert auto != pytest.approx(EPENAS(EPENASConfig(aggregation="sum_abs")).score(ctx), rel=1e-3)


def test_epe_nas_raises_on_a_constant_jacobian():
    def dead():
        m = mlp()
        with torch.no_grad():
            m[0].bias.fill_(-1e3)  # every hidden unit off: the Jacobian is zero
        return m

    ctx, _, _, _ = mlp_case()
    with pytest.raises(ProxyFailure, match="constant"):
        EPENAS().score(make_ctx(dead, ctx.inputs, ctx.targets))


def test_plugin_hooks_and_metadata():
    from nas_harness.plugins.proxies import epe_nas, fisher, grasp, l2_norm, plain

    found = {c.name: c for mod in (epe_nas, fisher, grasp, l2_norm, plain) for c in mod.nas_harness_proxies()}
    assert set(found) == {"epe_nas", "fisher", "grasp", "l2_norm", "plain"}
    for cls in found.values():
        assert cls.version and cls.summary and cls.__doc__ and cls.higher_is_better is True
        cls.Config()  # every field has a default
