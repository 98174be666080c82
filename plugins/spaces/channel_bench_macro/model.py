"""The Channel-Bench-Macro networks as ``torch.nn.Module`` s (shapes and rules: ``skeleton.py``).

Modules are created in the benchmark's order; BatchNorm uses torch defaults as the benchmark
does; with ``bn=False`` every BN is an ``nn.Identity``. ReLUs are out-of-place so that a
proxy's hooks see a layer's input unmodified.
"""

from __future__ import annotations

import torch
from torch import nn

from .arch import Code
from .skeleton import Block, blocks, features_out, widths


def _bn(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


def _conv_bn(
    c_in: int, c_out: int, k: int, stride: int, bn: bool, groups: int = 1, relu: bool = True
) -> list[nn.Module]:
    layers = [nn.Conv2d(c_in, c_out, k, stride, padding=k // 2, groups=groups, bias=False), _bn(c_out, bn)]
    return layers + [nn.ReLU(inplace=False)] if relu else layers


class ResBlock(nn.Module):
    """3×3 conv-BN-ReLU, 3×3 conv-BN, the input added when shapes allow, then ReLU."""

    def __init__(self, b: Block, bn: bool):
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn(b.c_in, b.c_mid, 3, b.stride, bn), *_conv_bn(b.c_mid, b.c_out, 3, 1, bn, relu=False)
        )
        self.shortcut = b.shortcut
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return self.relu(x + out if self.shortcut else out)


class MBBlock(nn.Module):
    """1×1 conv-BN-ReLU, 3×3 depthwise conv-BN-ReLU, 1×1 conv-BN (+ input when shapes allow)."""

    def __init__(self, b: Block, bn: bool):
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn(b.c_in, b.c_mid, 1, 1, bn),
            *_conv_bn(b.c_mid, b.c_mid, 3, b.stride, bn, groups=b.c_mid),
            *_conv_bn(b.c_mid, b.c_out, 1, 1, bn, relu=False),
        )
        self.shortcut = b.shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return x + out if self.shortcut else out


class Features(nn.Module):
    """Stem and blocks (and mobilenet's 1×1 conv): everything before pooling."""

    def __init__(self, backbone: str, code: Code, bn: bool, hw: int = 32):
        super().__init__()
        w = widths(backbone, code)
        self.stem = nn.Sequential(*_conv_bn(3, w[0], 3, 2, bn))
        make = ResBlock if backbone == "resnet" else MBBlock
        self.blocks = nn.ModuleList(make(b, bn) for b in blocks(backbone, w, hw))
        self.out = (
            nn.Sequential(*_conv_bn(w[4], w[6], 1, 1, bn)) if backbone == "mobilenet" else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.out(x)


class Head(nn.Module):
    def __init__(self, c: int, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(x), 1))


class ChannelNetwork(nn.Module):
    def __init__(self, backbone: str, code: Code, num_classes: int = 10, *, bn: bool = True):
        super().__init__()
        self.features = Features(backbone, code, bn)
        self.head = Head(features_out(backbone, code), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
