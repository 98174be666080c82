"""The DARTS CIFAR network (DARTS' ``NetworkCIFAR``) as NAS-Bench-301 trained it.

NB301 trained every genotype with 32 initial channels and 8 cells (its data-generation config:
``darts:init_channels 32``, ``darts:layers 8``, auxiliary head on with weight 0.4, drop path
0.2). For proxies the auxiliary head is off (it only adds a training loss) and drop path is
inactive (it is a training-time regulariser), so the network is:

    stem: conv3x3(3 → 3C) + BN
    cells 0 … L-1, cell i a reduction cell when i ∈ {L//3, 2L//3} (channels double there)
    head: global average pooling, linear

A cell preprocesses its two inputs to C channels (ReLU-conv1x1-BN; a factorized reduction for
the first input after a reduction cell), runs its eight edges, and concatenates nodes 2…5
(4C channels). In a reduction cell the edges leaving the inputs have stride 2. Ops:
``sep_conv_kxk`` = twice (ReLU, depthwise k×k, pointwise 1×1, BN), the first depthwise strided;
``dil_conv_kxk`` = ReLU, depthwise k×k with dilation 2, pointwise, BN; pools 3×3 (average
excludes padding); ``skip_connect`` = identity, or a factorized reduction at stride 2;
``none`` = zeros. BatchNorms are affine (DARTS' evaluation network); ``affine=False`` makes the
edge ops' BNs non-affine as in DARTS' search network and NASLib's NB301 graph, which is the
network NAS-Bench-Suite-Zero counted ``params`` on. ``bn=False`` replaces each BN with
``nn.Identity``.
Modules are created in DARTS' order, ReLUs are out-of-place.
"""

from __future__ import annotations

import torch
from torch import nn

from .genotype import N_INPUTS, NODES, Cell, Genotype


def _norm(c: int, bn: bool, affine: bool = True) -> nn.Module:
    return nn.BatchNorm2d(c, affine=affine) if bn else nn.Identity()


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, bn: bool):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, 1, bias=False), _norm(c_out, bn))


class FactorizedReduce(nn.Module):
    """Stride-2 1×1 convs on the input and on it shifted by one pixel, concatenated, BN."""

    def __init__(self, c_in: int, c_out: int, bn: bool, affine: bool = True):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = _norm(c_out, bn, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def _dw_pw(c: int, k: int, stride: int, dilation: int, bn: bool, affine: bool) -> list[nn.Module]:
    pad = dilation * (k - 1) // 2
    return [
        nn.ReLU(inplace=False),
        nn.Conv2d(c, c, k, stride=stride, padding=pad, dilation=dilation, groups=c, bias=False),
        nn.Conv2d(c, c, 1, bias=False),
        _norm(c, bn, affine),
    ]


class SepConv(nn.Sequential):
    def __init__(self, c: int, k: int, stride: int, bn: bool, affine: bool):
        super().__init__(*_dw_pw(c, k, stride, 1, bn, affine), *_dw_pw(c, k, 1, 1, bn, affine))


class DilConv(nn.Sequential):
    def __init__(self, c: int, k: int, stride: int, bn: bool, affine: bool):
        super().__init__(*_dw_pw(c, k, stride, 2, bn, affine))


class Zero(nn.Module):
    def __init__(self, stride: int):
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


def make_op(op: str, c: int, stride: int, bn: bool, affine: bool = True) -> nn.Module:
    if op == "none":
        return Zero(stride)
    if op == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if op == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if op == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, bn, affine)
    if op.startswith("sep_conv_"):
        return SepConv(c, int(op[-1]), stride, bn, affine)
    if op.startswith("dil_conv_"):
        return DilConv(c, int(op[-1]), stride, bn, affine)
    raise ValueError(f"unknown DARTS op {op!r}")


class DartsCell(nn.Module):
    """One cell: ``forward(s0, s1)`` → concatenation of its four intermediate nodes."""

    def __init__(
        self,
        cell: Cell,
        c_pp: int,
        c_p: int,
        c: int,
        reduction: bool,
        reduction_prev: bool,
        bn: bool,
        affine: bool,
    ):
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = FactorizedReduce(c_pp, c, bn) if reduction_prev else ReLUConvBN(c_pp, c, bn)
        self.preprocess1 = ReLUConvBN(c_p, c, bn)
        self.sources = tuple(src for node in cell for _, src in node)
        self.edges = nn.ModuleList(
            make_op(op, c, 2 if reduction and src < N_INPUTS else 1, bn, affine)
            for node in cell
            for op, src in node
        )
        self.c_out = len(NODES) * c

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k in range(len(NODES)):
            a, b = 2 * k, 2 * k + 1
            states.append(self.edges[a](states[self.sources[a]]) + self.edges[b](states[self.sources[b]]))
        return torch.cat(states[N_INPUTS:], dim=1)


def reduction_layers(layers: int) -> tuple[int, ...]:
    return (layers // 3, 2 * layers // 3)


class DartsFeatures(nn.Module):
    """Stem and cells: the network up to the feature map the head pools."""

    def __init__(self, g: Genotype, c: int, layers: int, bn: bool, affine: bool):
        super().__init__()
        c_stem = 3 * c
        self.stem = nn.Sequential(nn.Conv2d(3, c_stem, 3, padding=1, bias=False), _norm(c_stem, bn))
        c_pp, c_p, c_cur = c_stem, c_stem, c
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in reduction_layers(layers)
            if reduction:
                c_cur *= 2
            cell = DartsCell(
                g.reduce if reduction else g.normal, c_pp, c_p, c_cur, reduction, reduction_prev, bn, affine
            )
            self.cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, cell.c_out
        self.c_out = c_p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return s1


class ClassifierHead(nn.Module):
    def __init__(self, c: int, num_classes: int):
        super().__init__()
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.global_pooling(x), 1))


class DartsNetwork(nn.Module):
    def __init__(
        self,
        g: Genotype,
        num_classes: int,
        *,
        c: int = 32,
        layers: int = 8,
        bn: bool = True,
        affine: bool = True,
    ):
        super().__init__()
        self.genotype = g
        self.features = DartsFeatures(g, c, layers, bn, affine)
        self.head = ClassifierHead(self.features.c_out, num_classes)

    @property
    def stem(self) -> nn.Module:
        return self.features.stem

    @property
    def cells(self) -> nn.ModuleList:
        return self.features.cells

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
