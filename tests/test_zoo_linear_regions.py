"""linear_regions counted by hand on one-layer ReLU nets whose activation patterns are known."""

from __future__ import annotations

import pytest
import torch
from proxy_helpers import make_ctx
from pydantic import ValidationError
from torch import nn

from nas_harness.api import Needs, ProxyFailure
from nas_harness.host import _invalid
from nas_harness.plugins.proxies import linear_regions as lr_module
from nas_harness.plugins.proxies.linear_regions import LinearRegions, LinearRegionsConfig, random_crops


class Lines(nn.Module):
    """A 1x1 conv from 2 channels to 3 units, then ReLU: each unit is a line in the (a, b) plane.

    Units a > 0, b > 0 and a + b > 1 (three lines in general position): 7 regions; with the
    bias of the third unit at 0 the lines meet at the origin: 6 regions. A ReLU on flat
    features afterwards (a 2-D input) is not counted.
    """

    def __init__(self, concurrent: bool = False, head: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).reshape(3, 2, 1, 1))
            self.conv.bias.copy_(torch.tensor([0.0, 0.0, 0.0 if concurrent else -1.0]))
        self.relu = nn.ReLU()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)) if head else None

    def forward(self, x):
        h = self.relu(self.conv(x))
        return self.head(h) if self.head is not None else h.flatten(1)[:, :2]


def grid_images() -> torch.Tensor:
    """One 2-channel 4x4 image whose 16 pixels are (a, b) points placed by hand.

    Regions of the three units (a > 0, b > 0, a + b > 1), the points in each:
    FFF a, b < 0: 3 points; TFF a > 0 > b, a + b < 1: 3; TTF the triangle: 4; TTT: 3;
    FTF b > 0 > a, a + b < 1: 3; none in TFT or FTT. So 5 regions are hit.
    With concurrent lines (a + b > 0) the same points fall in FFF 3, TFF 1, TFT 2, TTT 7,
    FTF 2, FTT 1: 6 regions.
    """
    points = [
        (-2, -2),
        (-1, -3),
        (-3, -0.1),  # FFF | FFF
        (0.2, -3),
        (0.5, -0.2),
        (0.8, -0.5),  # TFF | TFF, TFT, TFT
        (0.5, 0.2),
        (0.1, 0.1),
        (0.3, 0.3),
        (0.4, 0.4),  # TTF | TTT
        (2, 2),
        (1, 3),
        (3, 3),  # TTT | TTT
        (-3, 0.2),
        (-0.5, 1.2),
        (-1, 0.5),
    ]  # FTF | FTF, FTT, FTF
    img = torch.tensor(points, dtype=torch.float32).T.reshape(2, 4, 4)
    return img[None]


@pytest.mark.parametrize("concurrent, regions", [(False, 5), (True, 6)])
def test_crops_counted_by_hand(concurrent, regions):
    c = make_ctx(lambda bn: Lines(concurrent), inputs=grid_images(), num_classes=2)
    cfg = LinearRegionsConfig(resolution=1, batch_size=16, n_batches=1)  # every pixel once
    assert LinearRegions(cfg).score(c) == regions


@pytest.mark.parametrize("concurrent, regions", [(False, 7), (True, 6)])
def test_gaussian_inputs_find_every_region(concurrent, regions):
    c = make_ctx(lambda bn: Lines(concurrent), input_shape=(2, 1, 1), num_classes=2, seed=1)
    cfg = LinearRegionsConfig(input="gaussian", resolution=1, batch_size=500, n_batches=2)
    assert LinearRegions(cfg).score(c) == regions


def test_patterns_of_separate_passes_are_pooled():
    c = make_ctx(lambda bn: Lines(False), input_shape=(2, 1, 1), num_classes=2, seed=1)
    one = LinearRegions(LinearRegionsConfig(input="gaussian", resolution=1, batch_size=3, n_batches=1)).score(
        c
    )
    two = LinearRegions(LinearRegionsConfig(input="gaussian", resolution=1, batch_size=3, n_batches=4)).score(
        c
    )
    assert 1 <= one <= 3 and one <= two <= 7


def test_crops_are_distinct_positions():
    images = torch.arange(2 * 1 * 3 * 3, dtype=torch.float32).reshape(2, 1, 3, 3)
    crops = random_crops(images, 18, 1, torch.Generator().manual_seed(0))
    assert sorted(crops.flatten().tolist()) == list(range(18))
    with pytest.raises(ProxyFailure):
        random_crops(images, 19, 1, torch.Generator().manual_seed(0))


def test_deterministic_and_failures():
    c = make_ctx(lambda bn: Lines(False), input_shape=(2, 1, 1), num_classes=2, seed=3)
    cfg = LinearRegionsConfig(input="gaussian", resolution=1, batch_size=5, n_batches=1)
    assert LinearRegions(cfg).score(c) == LinearRegions(cfg).score(c)
    no_relu = make_ctx(
        lambda bn: nn.Sequential(nn.Flatten(), nn.Linear(2, 2)), input_shape=(2, 1, 1), num_classes=2
    )
    with pytest.raises(ProxyFailure):
        LinearRegions(cfg).score(no_relu)
    with pytest.raises(ValidationError):
        LinearRegionsConfig(n_batches=0)


def test_metadata():
    assert _invalid("proxy", LinearRegions) is None
    assert lr_module.nas_harness_proxies() == [LinearRegions]
    assert LinearRegions.higher_is_better is True
    assert LinearRegions.needs == frozenset({Needs.MODEL, Needs.DATA})
