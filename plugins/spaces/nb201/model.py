"""The NB201 network (NAS-Bench-201's TinyNetwork) as a plain ``torch.nn.Module``.

Macro skeleton, for C = 16 and N = 5 cells per stage::

    stem: conv3x3(3→C) + BN
    stage 1: N cells at C          reduction: residual block C→2C, stride 2
    stage 2: N cells at 2C         reduction: residual block 2C→4C, stride 2
    stage 3: N cells at 4C
    head: BN + ReLU, global average pooling, linear

Cell ops: ``nor_conv_kxk`` = ReLU → conv k×k (no bias) → BN; ``avg_pool_3x3`` = 3×3 average
pooling, stride 1, padding 1, padding excluded from the average (``pooling.AvgPool3x3``: torch's
values, computed faster); ``skip_connect`` = identity;
``none`` = zeros shaped like its input. Each node is the sum of its incoming edges and the
cell returns node 3. The residual block is ReLU-conv3x3/2-BN → ReLU-conv3x3-BN plus a shortcut
of 2×2 average pooling and a 1×1 conv. BatchNorm layers are affine and track running stats; with
``bn=False`` each one is an ``nn.Identity``. Modules are created in the reference network's
order, so one torch seed gives the same initial weights as NB201's own model. Every ReLU is
out-of-place (NB201's last one is in-place; the numbers are the same) so that a proxy's hooks
see a layer's input unmodified.
"""

from __future__ import annotations

import torch
from torch import nn

from .arch import CONV1, CONV3, EDGES, N_NODES, NONE, POOL, SKIP, Code
from .pooling import AvgPool3x3
from .topology import C_STEM, CELLS_PER_STAGE


def _norm(channels: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(channels, affine=True, track_running_stats=True) if bn else nn.Identity()


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, bn: bool):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            _norm(c_out, bn),
        )


class Zero(nn.Module):
    """The ``none`` op: zeros of the input's shape (computed as ``x * 0``, as NB201 does)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def make_op(op: int, channels: int, bn: bool) -> nn.Module:
    if op == NONE:
        return Zero()
    if op == SKIP:
        return nn.Identity()
    if op == CONV1:
        return ReLUConvBN(channels, channels, 1, 1, 0, bn)
    if op == CONV3:
        return ReLUConvBN(channels, channels, 3, 1, 1, bn)
    if op == POOL:
        return AvgPool3x3()
    raise ValueError(f"unknown NB201 op index {op}")


class Cell(nn.Module):
    """One searchable cell; ``edges[e]`` is the op on edge ``arch.EDGES[e]``."""

    def __init__(self, code: Code, channels: int, bn: bool):
        super().__init__()
        self.edges = nn.ModuleList(make_op(op, channels, bn) for op in code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in range(1, N_NODES):
            total = None
            for e, (i, jj) in enumerate(EDGES):
                if jj == j:
                    out = self.edges[e](nodes[i])
                    total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1]


class ResidualReduction(nn.Module):
    """The fixed stride-2 residual block between stages (NB201's ResNetBasicblock)."""

    def __init__(self, c_in: int, c_out: int, bn: bool):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1, bn)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1, bn)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    def __init__(
        self,
        code: Code,
        num_classes: int,
        *,
        bn: bool = True,
        channels: int = C_STEM,
        cells_per_stage: int = CELLS_PER_STAGE,
    ):
        super().__init__()
        self.code = tuple(code)
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), _norm(channels, bn))
        blocks: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage > 0:
                blocks.append(ResidualReduction(c, 2 * c, bn))
                c *= 2
            blocks.extend(Cell(self.code, c, bn) for _ in range(cells_per_stage))
        self.cells = nn.ModuleList(blocks)
        self.lastact = nn.Sequential(_norm(c, bn), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.cells:
            x = block(x)
        x = self.global_pooling(self.lastact(x))
        return self.classifier(torch.flatten(x, 1))
