"""params, flops, synflow, snip, grad_norm, jacob_cov and naswot on hand-made models whose
scores are recomputed independently: in closed form, with numpy, or with a separate autograd
path."""

from __future__ import annotations

import importlib

import numpy as np
import pydantic
import pytest
import torch
import torch.nn.functional as F
from proxy_helpers import TinyConvNet, make_ctx
from torch import nn

from nas_harness.api import PluginConfig, Proxy, ProxyFailure
from nas_harness.plugins.proxies.cost import Flops, Params
from nas_harness.plugins.proxies.grad_norm import GradNorm
from nas_harness.plugins.proxies.jacob_cov import JacobCov
from nas_harness.plugins.proxies.naswot import Naswot
from nas_harness.plugins.proxies.snip import Snip
from nas_harness.plugins.proxies.synflow import Synflow

MODULES = {
    "cost": ["params", "flops"],
    "synflow": ["synflow"],
    "snip": ["snip"],
    "grad_norm": ["grad_norm"],
    "jacob_cov": ["jacob_cov"],
    "naswot": ["naswot"],
}


def _batch(n: int = 6, shape=(3, 8, 8), classes: int = 3, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((n, *shape), generator=g), torch.randint(0, classes, (n,), generator=g)


def _mlp(*sizes: int, bias: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b, bias=bias))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------- registration


@pytest.mark.parametrize("module, names", list(MODULES.items()))
def test_each_module_registers_its_proxies(module, names):
    mod = importlib.import_module(f"nas_harness.plugins.proxies.{module}")
    classes = mod.nas_harness_proxies()
    assert [c.name for c in classes] == names
    for cls in classes:
        assert issubclass(cls, Proxy) and issubclass(cls.Config, PluginConfig)
        assert cls.version and cls.summary and cls.__doc__ and len(cls.__doc__) > 200
        assert isinstance(cls.needs, frozenset) and cls.higher_is_better is True
        cls.Config()  # every option has a default
        with pytest.raises(pydantic.ValidationError):
            cls.Config(no_such_option=1)


def test_host_discovers_them_through_entry_points():
    from nas_harness.host import PluginHost

    host = PluginHost.discover()
    for names in MODULES.values():
        for name in names:
            assert host.get("proxy", name).cls.name == name


def test_data_free_proxies_do_not_ask_for_data():
    from nas_harness.api import Needs

    for cls in (Params, Flops, Synflow):
        assert not cls.needs & {Needs.DATA, Needs.LABELS}
    assert Needs.LABELS in Snip.needs and Needs.LABELS in GradNorm.needs
    assert Needs.LABELS not in JacobCov.needs and Needs.LABELS not in Naswot.needs


# --------------------------------------------------------------------------- params, flops


def test_params_counts_trainable_parameters_by_hand():
    # conv1 3*4*9 + BN 2*4 + conv2 4*4+4 + fc 4*3+3
    assert Params().score(make_ctx(lambda bn: TinyConvNet(bn))) == 108 + 8 + 20 + 15

    def frozen(bn):
        m = TinyConvNet(bn)
        m.fc.requires_grad_(False)
        return m

    assert Params().score(make_ctx(frozen)) == 108 + 8 + 20


def test_flops_counts_conv_and_linear_macs_by_hand():
    ctx = make_ctx(lambda bn: TinyConvNet(bn), input_shape=(3, 8, 8))
    # conv1: 4*8*8 outputs x 3*3*3; conv2: 4*8*8 x (4 + bias); fc: 3 x (4 + bias)
    assert Flops().score(ctx) == 256 * 27 + 256 * 5 + 3 * 5


def test_flops_counts_every_call_of_a_shared_module():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 1, bias=False)

        def forward(self, x):
            return self.conv(self.conv(x)).mean(dim=(2, 3))

    assert Flops().score(make_ctx(lambda bn: Twice(), input_shape=(2, 4, 4))) == 2 * (2 * 16 * 2)


# --------------------------------------------------------------------------- synflow


def test_synflow_of_two_linear_layers_in_closed_form():
    torch.manual_seed(0)
    ref = _mlp(4, 5, 3, bias=False)
    w1, w2 = ref[1].weight.detach().double().abs(), ref[3].weight.detach().double().abs()
    # R = 1^T |W2| |W1| 1, dR/dW1 = |W2|^T 1 1^T, dR/dW2 = 1 (|W1| 1)^T: each layer's sum is R
    r = (w2 @ w1 @ torch.ones(4, dtype=torch.float64)).sum().item()
    direct = (
        w1 * (w2.T @ torch.ones(3, 1, dtype=torch.float64) @ torch.ones(1, 4, dtype=torch.float64))
    ).sum()
    direct += (
        w2 * (torch.ones(3, 1, dtype=torch.float64) @ (w1 @ torch.ones(4, 1, dtype=torch.float64)).T)
    ).sum()
    ctx = make_ctx(lambda bn: _mlp(4, 5, 3, bias=False), input_shape=(1, 2, 2))
    score = Synflow().score(ctx)
    assert score == pytest.approx(direct.item(), rel=1e-12)
    assert score == pytest.approx(2 * r, rel=1e-12)


def test_synflow_of_a_homogeneous_relu_net_is_depth_times_flow():
    # With no biases and no BN the network is positively homogeneous in each layer's weights,
    # so each layer's sum of theta * dR/dtheta equals R (Euler): synflow = 3 R.
    def make(bn):
        return TinyConvNet(bn=bn, bias=False)

    calls: list[bool] = []
    ctx = make_ctx(make, input_shape=(3, 8, 8), calls=calls)
    score = Synflow().score(ctx)
    assert calls == [False]  # BN removed by default
    torch.manual_seed(0)
    net = make(False).double()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
        r = net(torch.ones(1, 3, 8, 8, dtype=torch.float64)).sum().item()
    assert score == pytest.approx(3 * r, rel=1e-10)


def test_synflow_ignores_weight_signs_needs_no_data_and_float32_agrees():
    def flipped(bn):
        m = TinyConvNet(bn=bn)
        with torch.no_grad():
            for p in m.parameters():
                p.neg_()
        return m

    base = Synflow().score(make_ctx(lambda bn: TinyConvNet(bn=bn)))
    assert Synflow().score(make_ctx(flipped)) == pytest.approx(base, rel=1e-12)
    f32 = Synflow(Synflow.Config(dtype="float32")).score(make_ctx(lambda bn: TinyConvNet(bn=bn)))
    assert f32 == pytest.approx(base, rel=1e-5)
    calls: list[bool] = []
    assert np.isfinite(
        Synflow(Synflow.Config(bn=True)).score(make_ctx(lambda bn: TinyConvNet(bn=bn), calls=calls))
    )
    assert calls == [True]


# --------------------------------------------------------------------------- snip, grad_norm


def test_snip_and_grad_norm_of_softmax_regression_in_closed_form():
    x, y = _batch(8, (2, 3, 1), classes=4)
    ctx = make_ctx(lambda bn: _mlp(6, 4), inputs=x, targets=y, num_classes=4)
    torch.manual_seed(0)
    lin = _mlp(6, 4)[1]
    w, b = lin.weight.detach().double().numpy(), lin.bias.detach().double().numpy()
    xs = x.reshape(8, -1).double().numpy()
    z = xs @ w.T + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    grad = (p - np.eye(4)[y.numpy()]).T @ xs / 8  # dL/dW of the mean cross-entropy
    assert Snip().score(ctx) == pytest.approx(np.abs(w * grad).sum(), rel=1e-5)
    assert GradNorm().score(ctx) == pytest.approx(np.linalg.norm(grad), rel=1e-5)


def test_snip_and_grad_norm_match_a_separate_backward_pass_with_train_mode_bn():
    x, y = _batch()
    calls: list[bool] = []
    ctx = make_ctx(lambda bn: TinyConvNet(bn), inputs=x, targets=y, calls=calls)
    snip, gnorm = Snip().score(ctx), GradNorm().score(ctx)
    assert calls == [True]  # one shared backward for both
    torch.manual_seed(0)
    net = TinyConvNet(True).train()
    F.cross_entropy(net(x), y).backward()
    weights = [net.conv1.weight, net.conv2.weight, net.fc.weight]
    assert snip == pytest.approx(sum((w * w.grad).abs().sum().item() for w in weights), rel=1e-5)
    assert gnorm == pytest.approx(sum(w.grad.norm().item() for w in weights), rel=1e-5)
    # BN statistics matter: eval-mode BN gives another value, so the mode really is train
    net2 = TinyConvNet(True).eval()
    torch.manual_seed(0)
    net2.load_state_dict(TinyConvNet(True).state_dict())
    F.cross_entropy(net2(x), y).backward()
    assert gnorm != pytest.approx(
        sum(m.weight.grad.norm().item() for m in (net2.conv1, net2.conv2, net2.fc)), rel=1e-3
    )


def test_snip_without_bn_builds_its_own_model_and_unused_layers_add_zero():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = _mlp(6, 3)
            self.spare = nn.Linear(3, 3)  # never called

        def forward(self, x):
            return self.body(x)

    x, y = _batch(5, (6, 1, 1))
    calls: list[bool] = []
    ctx = make_ctx(lambda bn: Unused(), inputs=x, targets=y, calls=calls)
    s = Snip(Snip.Config(bn=False)).score(ctx)
    g = GradNorm().score(ctx)
    assert calls == [False, True]
    assert np.isfinite(s) and np.isfinite(g)


def test_gradient_proxies_need_labels():
    x, _ = _batch()
    for proxy in (Snip(), GradNorm()):
        with pytest.raises(ProxyFailure):
            proxy.score(make_ctx(lambda bn: TinyConvNet(bn), inputs=x))


# --------------------------------------------------------------------------- jacob_cov


def _jacob_cov_by_hand(j: np.ndarray, k: float = 1e-5) -> float:
    c = np.corrcoef(j)
    v = np.real(np.linalg.eigvals(c))
    return float(-np.sum(np.log(v + k) + 1 / (v + k)))


def test_jacob_cov_of_a_linear_model_in_closed_form():
    # d(sum of outputs)/dx = 1^T W for every sample: all rows equal, corr = ones(N, N),
    # eigenvalues N and 0 (N - 1 times)
    n, k = 6, 1e-5
    x, _ = _batch(n, (2, 2, 2))
    score = JacobCov().score(make_ctx(lambda bn: _mlp(8, 3), inputs=x))
    expected = -(np.log(n + k) + 1 / (n + k) + (n - 1) * (np.log(k) + 1 / k))
    assert score == pytest.approx(expected, rel=1e-6)


def test_jacob_cov_matches_per_sample_gradients_without_bn():
    x, _ = _batch(7)
    score = JacobCov(JacobCov.Config(bn=False)).score(make_ctx(lambda bn: TinyConvNet(bn), inputs=x))
    torch.manual_seed(0)
    net = TinyConvNet(False)
    rows = []
    for i in range(len(x)):
        xi = x[i : i + 1].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(net(xi).sum(), xi)
        rows.append(g.reshape(-1).double().numpy())
    assert score == pytest.approx(_jacob_cov_by_hand(np.stack(rows)), rel=1e-6)


def test_jacob_cov_fails_when_the_output_ignores_the_input():
    class Blind(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 3)

        def forward(self, x):
            return self.fc(torch.zeros(x.shape[0], 1)) + 0 * x.sum()

    x, _ = _batch(4)
    with pytest.raises(ProxyFailure, match="constant"):
        JacobCov().score(make_ctx(lambda bn: Blind(), inputs=x))


# --------------------------------------------------------------------------- naswot


def _codes_kernel(codes: list[np.ndarray]) -> np.ndarray:
    """sum over layers of N_A - Hamming distance, computed pairwise."""
    n = codes[0].shape[0]
    k = np.zeros((n, n))
    for c in codes:
        for i in range(n):
            for j in range(n):
                k[i, j] += c.shape[1] - np.sum(c[i] != c[j])
    return k


def test_naswot_matches_a_numpy_recomputation_of_relu_codes():
    x, _ = _batch(6, (5, 1, 1))
    score = Naswot(Naswot.Config(bn=False)).score(make_ctx(lambda bn: _mlp(5, 7, 6, 3), inputs=x))
    torch.manual_seed(0)
    net = _mlp(5, 7, 6, 3)
    w1, b1 = net[1].weight.detach().double().numpy(), net[1].bias.detach().double().numpy()
    w2, b2 = net[3].weight.detach().double().numpy(), net[3].bias.detach().double().numpy()
    h0 = x.reshape(6, -1).double().numpy()
    z1 = h0 @ w1.T + b1
    z2 = np.maximum(z1, 0) @ w2.T + b2
    _, expected = np.linalg.slogdet(_codes_kernel([z1 > 0, z2 > 0]))
    assert score == pytest.approx(expected, rel=1e-9)


def test_naswot_counts_every_call_of_a_relu_module_and_uses_train_mode_bn():
    class Reused(nn.Module):
        def __init__(self, bn):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.norm = nn.BatchNorm2d(4) if bn else nn.Identity()
            self.relu = nn.ReLU()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            h = self.relu(self.norm(self.conv(x)))
            h = self.relu(h - 0.1)  # the same module, called again
            return self.fc(h.mean(dim=(2, 3)))

    x, _ = _batch(6)
    score = Naswot().score(make_ctx(lambda bn: Reused(bn), inputs=x))
    torch.manual_seed(0)
    net = Reused(True).train()
    with torch.no_grad():
        z1 = net.norm(net.conv(x))  # train-mode BN: batch statistics
        z2 = torch.relu(z1) - 0.1
    codes = [(z > 0).reshape(6, -1).numpy() for z in (z1, z2)]
    assert score == pytest.approx(np.linalg.slogdet(_codes_kernel(codes))[1], rel=1e-9)


def test_naswot_fails_on_identical_inputs_and_without_relus():
    x, _ = _batch(1, (5, 1, 1))
    same = x.repeat(4, 1, 1, 1)
    with pytest.raises(ProxyFailure, match="singular"):
        Naswot().score(make_ctx(lambda bn: _mlp(5, 7, 3), inputs=same))
    with pytest.raises(ProxyFailure, match="ReLU"):
        Naswot().score(make_ctx(lambda bn: _mlp(5, 3), inputs=_batch(4, (5, 1, 1))[0]))


# --------------------------------------------------------------------------- failures propagate


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        raise RuntimeError("boom inside the model")


@pytest.mark.parametrize(
    "proxy", [Flops(), Synflow(), Snip(), GradNorm(), JacobCov(), Naswot()], ids=lambda p: p.name
)
def test_errors_inside_the_model_reach_the_caller(proxy):
    x, y = _batch(4)
    with pytest.raises(RuntimeError, match="boom"):
        proxy.score(make_ctx(lambda bn: Broken(), inputs=x, targets=y))


@pytest.mark.parametrize("proxy", [Synflow(), Snip(), GradNorm(), JacobCov(), Naswot()], ids=lambda p: p.name)
def test_a_model_that_does_not_return_logits_is_a_proxy_failure(proxy):
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = _mlp(192, 3)
            self.act = nn.ReLU()

        def forward(self, x):
            out = self.net(x)
            return self.act(out), out

    x, y = _batch(4)
    with pytest.raises(ProxyFailure, match=r"return one \(N, \.\.\.\) tensor for N=\d+, got tuple"):
        proxy.score(make_ctx(lambda bn: Pair(), inputs=x, targets=y))
