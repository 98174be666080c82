"""The NAS-Bench-Macro network as a ``torch.nn.Module`` (shapes and rules: ``skeleton.py``).

Modules are created in the benchmark's order; BatchNorm uses torch defaults as the benchmark
does; with ``bn=False`` every BN is an ``nn.Identity``. ReLUs are out-of-place so that a
proxy's hooks see a layer's input unmodified.
"""

from __future__ import annotations

import torch
from torch import nn

from .arch import Code
from .skeleton import BLOCK, HEAD_CHANNELS, STEM_CHANNELS, Layer, layers


def _bn(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


class MBBlock(nn.Module):
    """MobileNetV2 inverted residual: 1×1 expand, k×k depthwise, 1×1 project (+ input)."""

    def __init__(self, c_in: int, c_out: int, stride: int, t: int, k: int, bn: bool):
        super().__init__()
        hidden = round(c_in * t)
        self.conv = nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False),
            _bn(hidden, bn),
            nn.ReLU(inplace=False),
            nn.Conv2d(hidden, hidden, k, stride, padding=k // 2, groups=hidden, bias=False),
            _bn(hidden, bn),
            nn.ReLU(inplace=False),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            _bn(c_out, bn),
        )
        self.residual = c_in == c_out and stride == 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return out + x if self.residual else out


def make_layer(op: int, layer: Layer, bn: bool) -> nn.Module:
    if op == 0:
        if layer.stride == 1 and layer.c_in == layer.c_out:
            return nn.Identity()
        return nn.Sequential(
            nn.Conv2d(layer.c_in, layer.c_out, 1, stride=layer.stride, bias=False), _bn(layer.c_out, bn)
        )
    t, k = BLOCK[op]
    return MBBlock(layer.c_in, layer.c_out, layer.stride, t, k, bn)


class Features(nn.Module):
    """Stem, the eight layers and the 1×1 conv to 1,280 channels: everything before pooling."""

    def __init__(self, code: Code, bn: bool, hw: int = 32):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, STEM_CHANNELS, 3, padding=1, bias=False),
            _bn(STEM_CHANNELS, bn),
            nn.ReLU(inplace=False),
        )
        shapes = layers(hw)
        self.layers = nn.ModuleList(make_layer(op, layer, bn) for op, layer in zip(code, shapes))
        c = shapes[-1].c_out
        self.out = nn.Sequential(
            nn.Conv2d(c, HEAD_CHANNELS, 1, bias=False), _bn(HEAD_CHANNELS, bn), nn.ReLU(inplace=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return self.out(x)


class Head(nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(HEAD_CHANNELS, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(x), 1))


class MacroNetwork(nn.Module):
    def __init__(self, code: Code, num_classes: int = 10, *, bn: bool = True):
        super().__init__()
        self.features = Features(code, bn)
        self.head = Head(num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
