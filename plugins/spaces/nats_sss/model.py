"""The NATS-Bench size-space network as a plain ``torch.nn.Module``.

For widths ``C1:C2:C3:C4:C5`` (NATS's ``infer.shape.tiny`` with one cell per stage)::

    stem:    conv3x3(3→C1) + BN
    layer 1: cell C1→C1            (stride 1)
    layer 2: residual block C1→C2  (stride 2)
    layer 3: cell C2→C3
    layer 4: residual block C3→C4  (stride 2)
    layer 5: cell C4→C5
    head:    BN + ReLU, global average pooling, linear C5→classes

Every cell is the fixed NATS cell ``CELL`` (five 3×3 convs and one skip). In a cell of width
c_in→c_out the three edges leaving node 0 map c_in→c_out and the others c_out→c_out; a
``skip_connect`` from node 0 of a cell whose widths differ is NATS's stride-1
FactorizedReduce, a 1×1 conv (no bias) + BN, with no ReLU. ``nor_conv_3x3`` is ReLU → conv3x3
(no bias) → BN. The residual block is ReLU-conv3x3/2-BN → ReLU-conv3x3-BN plus a shortcut of
2×2 average pooling and a 1×1 conv. BatchNorm layers are affine and track running stats (an
``nn.Identity`` with ``bn=False``); every ReLU is out-of-place so hooks see a layer's input
unmodified. Weights keep PyTorch's default initialization (the run's ``init`` may change it).
"""

from __future__ import annotations

import torch
from torch import nn

# The NATS-SSS cell, as (node, ((op, input node), ...)) for nodes 1..3.
CELL: tuple[tuple[tuple[str, int], ...], ...] = (
    (("nor_conv_3x3", 0),),
    (("nor_conv_3x3", 0), ("nor_conv_3x3", 1)),
    (("skip_connect", 0), ("nor_conv_3x3", 1), ("nor_conv_3x3", 2)),
)
CELL_STRING = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
)
REDUCTION_LAYERS = (1, 3)  # 0-based layers that are residual blocks (stride 2)


def _norm(channels: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(channels, affine=True, track_running_stats=True) if bn else nn.Identity()


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, bn: bool):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            _norm(c_out, bn),
        )


class ConvBN(nn.Sequential):
    """NATS's stride-1 FactorizedReduce: the skip of a cell whose input and output widths differ."""

    def __init__(self, c_in: int, c_out: int, bn: bool):
        super().__init__(nn.Conv2d(c_in, c_out, 1, bias=False), _norm(c_out, bn))


def make_op(op: str, c_in: int, c_out: int, bn: bool) -> nn.Module:
    if op == "nor_conv_3x3":
        return ReLUConvBN(c_in, c_out, 3, 1, 1, bn)
    if op == "skip_connect":
        return nn.Identity() if c_in == c_out else ConvBN(c_in, c_out, bn)
    raise ValueError(f"the NATS-SSS cell has no op {op!r}")


class Cell(nn.Module):
    def __init__(self, c_in: int, c_out: int, bn: bool):
        super().__init__()
        self.edges = nn.ModuleList(
            make_op(op, c_in if src == 0 else c_out, c_out, bn) for node in CELL for op, src in node
        )
        self.sources = tuple(src for node in CELL for _, src in node)
        self.node_sizes = tuple(len(node) for node in CELL)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        e = 0
        for size in self.node_sizes:
            total = None
            for _ in range(size):
                out = self.edges[e](nodes[self.sources[e]])
                total = out if total is None else total + out
                e += 1
            nodes.append(total)
        return nodes[-1]


class ResidualReduction(nn.Module):
    """NATS's ResNetBasicblock with stride 2."""

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


class SSSNetwork(nn.Module):
    """Attributes in NATS's creation order (stem, cells, lastact, global_pooling, classifier), so
    one torch seed initializes it as NATS's own model."""

    def __init__(self, widths: tuple[int, ...], num_classes: int, *, bn: bool = True):
        super().__init__()
        self.widths = tuple(widths)
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, padding=1, bias=False), _norm(widths[0], bn))
        layers: list[nn.Module] = []
        c_prev = widths[0]
        for layer, c in enumerate(widths):
            layers.append(
                ResidualReduction(c_prev, c, bn) if layer in REDUCTION_LAYERS else Cell(c_prev, c, bn)
            )
            c_prev = c
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(_norm(c_prev, bn), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x)
        x = self.global_pooling(self.lastact(x))
        return self.classifier(torch.flatten(x, 1))
