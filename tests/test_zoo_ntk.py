"""ntk_cond recomputed from an explicit Jacobian (``torch.autograd.functional.jacobian``) and NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from proxy_helpers import TinyConvNet, make_ctx
from torch import nn
from torch.func import functional_call

from nas_harness.api import Needs, ProxyFailure
from nas_harness.host import _invalid
from nas_harness.plugins.proxies import ntk_cond as ntk_module
from nas_harness.plugins.proxies.ntk_cond import NTKCond, NTKCondConfig

N, C_IN, HW, K = 6, 3, 4, 3


def ctx(bn: bool = True, n: int = N, seed: int = 0, inputs=None):
    x = torch.randn(n, C_IN, HW, HW, generator=torch.Generator().manual_seed(7)) if inputs is None else inputs
    return make_ctx(lambda b: TinyConvNet(bn=bn, num_classes=K), inputs=x, num_classes=K, seed=seed)


def cond_by_jacobian(c, which: str, n: int | None = None) -> float:
    """kappa of J J^T, J = d(per-sample sum of logits)/d(params) from the functional Jacobian."""
    model = c.build_model()
    model.train()
    x = c.inputs if n is None else c.inputs[:n]
    names = [k for k, _ in model.named_parameters() if which == "all" or "weight" in k]
    params = tuple(dict(model.named_parameters())[k].detach() for k in names)

    def per_sample_sums(*ps):
        return functional_call(model, dict(zip(names, ps)), (x,)).sum(dim=1)

    jac = torch.autograd.functional.jacobian(per_sample_sums, params)
    j = np.concatenate([t.reshape(x.shape[0], -1).numpy() for t in jac], axis=1).astype(np.float64)
    eig = np.linalg.eigvalsh(j @ j.T)
    return float(eig[-1] / eig[0])


@pytest.mark.parametrize("bn", [True, False])
@pytest.mark.parametrize("which", ["weights", "all"])
def test_matches_explicit_jacobian(bn, which):
    c = ctx(bn=bn)
    got = NTKCond(NTKCondConfig(params=which)).score(c)
    assert got == pytest.approx(cond_by_jacobian(c, which), rel=1e-4)


def test_batch_size_uses_the_first_inputs():
    c = ctx()
    assert NTKCond(NTKCondConfig(batch_size=4)).score(c) == pytest.approx(
        cond_by_jacobian(c, "weights", n=4), rel=1e-4
    )
    with pytest.raises(ProxyFailure):
        NTKCond(NTKCondConfig(batch_size=N + 1)).score(c)


def test_linear_model_closed_form():
    # f(x) = W x: d(sum_k f_k(x_n))/dW = 1 x_n^T, so J J^T = K * X X^T
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    c = make_ctx(lambda b: nn.Linear(6, K, bias=False).double(), inputs=x, num_classes=K)
    eig = np.linalg.eigvalsh(K * (x.numpy() @ x.numpy().T))
    assert NTKCond().score(c) == pytest.approx(eig[-1] / eig[0], rel=1e-9)


def test_identical_inputs_make_the_kernel_singular():
    x = torch.randn(3, C_IN, HW, HW, generator=torch.Generator().manual_seed(1))
    with pytest.raises(ProxyFailure):
        NTKCond().score(ctx(bn=False, inputs=torch.cat([x, x[:1]])))


def test_lower_is_better_and_deterministic():
    assert NTKCond.higher_is_better is False
    a = NTKCond().score(ctx(seed=2))
    assert a >= 1.0 and a == NTKCond().score(ctx(seed=2))


def test_metadata():
    assert _invalid("proxy", NTKCond) is None
    assert ntk_module.nas_harness_proxies() == [NTKCond]
    assert NTKCond.needs == frozenset({Needs.MODEL, Needs.DATA, Needs.GRAD})
