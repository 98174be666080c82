"""meco recomputed by hand: functional feature maps, ``numpy.corrcoef`` and ``numpy.linalg.eigvalsh``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from proxy_helpers import make_ctx
from torch import nn

from nas_harness.api import Needs, ProxyFailure
from nas_harness.host import _invalid
from nas_harness.plugins.proxies import meco as meco_module
from nas_harness.plugins.proxies.meco import MeCo, MeCoConfig

C_IN, HW, WIDTH, K = 3, 5, 4, 2


def net(bn: bool = True) -> nn.Module:
    """Sequential(Sequential(conv, BN, ReLU), conv, pool, flatten, linear): a container repeats
    its ReLU's map, the model itself outputs logits."""
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(C_IN, WIDTH, 3, padding=1), nn.BatchNorm2d(WIDTH), nn.ReLU()),
        nn.Conv2d(WIDTH, WIDTH, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(WIDTH, K),
    )


def ctx(n: int = 3, seed: int = 0):
    x = torch.randn(n, C_IN, HW, HW, generator=torch.Generator().manual_seed(11))
    return make_ctx(net, inputs=x, num_classes=K, seed=seed)


def lam_min(fea: np.ndarray) -> float:
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(fea.reshape(fea.shape[0], -1))
    corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0, posinf=0.0, neginf=0.0)
    return float(np.linalg.eigvalsh(corr)[0])


def maps_by_hand(model: nn.Sequential, x: torch.Tensor) -> dict[str, torch.Tensor]:
    conv1, bn, _ = model[0]
    z = F.conv2d(x, conv1.weight, conv1.bias, padding=1)
    b = F.batch_norm(z, None, None, bn.weight, bn.bias, training=True, eps=bn.eps)
    r = F.relu(b)
    c2 = F.conv2d(r, model[1].weight, model[1].bias)
    return {"conv1": z, "bn": b, "relu": r, "conv2": c2}


@pytest.mark.parametrize("modules", ["all", "leaves"])
def test_matches_hand_computation(modules):
    c = ctx(n=3)
    model = c.build_model()
    with torch.no_grad():
        maps = maps_by_hand(model, c.inputs[:1])
    values = [lam_min(m[0].numpy().astype(np.float64)) for m in maps.values()]
    # pooled maps, flattened features and logits have one value per channel: lambda_min = 0
    expected = sum(values) + (values[2] if modules == "all" else 0.0)  # the inner Sequential repeats relu
    assert MeCo(MeCoConfig(modules=modules)).score(c) == pytest.approx(expected, abs=1e-6)


def test_several_samples_average_their_own_scores():
    c = ctx(n=3)
    model = c.build_model()
    with torch.no_grad():
        maps = maps_by_hand(model, c.inputs[:2])  # BN statistics over the two samples
    expected = np.mean(
        [sum(lam_min(m[s].numpy().astype(np.float64)) for m in maps.values()) for s in range(2)]
    )
    assert MeCo(MeCoConfig(n_samples=2, modules="leaves")).score(c) == pytest.approx(expected, abs=1e-6)


def test_constant_channels_count_as_zero_correlation():
    # a map whose channels are all constant gives an all-zero matrix after NaN -> 0: lambda_min = 0
    class Flat(nn.Module):
        def __init__(self, bn=True):
            super().__init__()
            self.conv = nn.Conv2d(C_IN, WIDTH, 1)
            self.fc = nn.Linear(WIDTH, K)

        def forward(self, x):
            return self.fc(self.conv(x).mean(dim=(2, 3)) * 0 + 1)

    c = make_ctx(Flat, inputs=torch.ones(1, C_IN, HW, HW), num_classes=K)
    assert MeCo(MeCoConfig(modules="leaves")).score(c) == pytest.approx(0.0, abs=1e-12)


def test_meco_opt_with_few_channels_is_meco():
    c = ctx()
    assert MeCo(MeCoConfig(channels=8)).score(c) == pytest.approx(MeCo().score(c), abs=1e-9)


def test_gaussian_input_is_data_free_and_deterministic():
    c = make_ctx(net, input_shape=(C_IN, HW, HW), num_classes=K, seed=4)
    a = MeCo(MeCoConfig(input="gaussian")).score(c)
    assert a == MeCo(MeCoConfig(input="gaussian")).score(
        make_ctx(net, input_shape=(C_IN, HW, HW), num_classes=K, seed=4)
    )
    with pytest.raises(ProxyFailure):
        MeCo().score(c)  # input="data" without a batch


def test_metadata():
    assert _invalid("proxy", MeCo) is None
    assert meco_module.nas_harness_proxies() == [MeCo]
    assert MeCo.higher_is_better is True and MeCo.needs == frozenset({Needs.MODEL, Needs.DATA})


def pooled_bn_net(bn: bool = True) -> nn.Module:
    """A BatchNorm after global pooling: with one input it sees one value per channel."""
    return nn.Sequential(
        nn.Conv2d(C_IN, WIDTH, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.BatchNorm2d(WIDTH) if bn else nn.Identity(),
        nn.Flatten(),
        nn.Linear(WIDTH, K),
    )


def test_a_batchnorm_on_one_value_per_channel_outputs_its_shift_or_fails_when_asked():
    x = torch.randn(1, C_IN, HW, HW, generator=torch.Generator().manual_seed(3))
    c = make_ctx(pooled_bn_net, inputs=x, num_classes=K)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        MeCo(MeCoConfig(single_value_bn="fail")).score(c)
    model = pooled_bn_net()
    model.train()
    with torch.no_grad():
        model[3].bias.copy_(torch.arange(WIDTH, dtype=torch.float32))
    meco_module.single_value_bn_as_formula(model)
    seen = []
    model[3].register_forward_hook(lambda m, a, out: seen.append(out))
    model(x)
    assert torch.equal(seen[0].flatten(), torch.arange(WIDTH, dtype=torch.float32))  # beta, whatever x
    # the conv's map is the only one with more than one value per channel: the score is its lambda_min
    with torch.no_grad():
        conv_map = c.build_model()[0](x)
    expected = lam_min(conv_map[0].numpy().astype(np.float64)) + lam_min(F.relu(conv_map)[0].numpy())
    assert MeCo(MeCoConfig(modules="leaves")).score(c) == pytest.approx(expected, abs=1e-6)


def test_models_without_single_value_batchnorms_score_the_same_either_way():
    c = ctx(n=3)
    assert MeCo(MeCoConfig(single_value_bn="fail")).score(c) == MeCo().score(c)
