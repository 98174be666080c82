"""The network of a DAG-space architecture: stem, two copies of the cell, pooled linear head."""

from __future__ import annotations

import torch
from torch import nn

from nas_harness.api import BuiltModel

from .arch import EDGES, INNER, N, split

CHANNELS = 8
CELLS = 2


def _op(name: str, c: int, bn: bool) -> nn.Module:
    if name == "maxpool":
        return nn.MaxPool2d(3, stride=1, padding=1)
    k = 3 if name == "conv3x3" else 1
    layers = [nn.Conv2d(c, c, k, padding=k // 2, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(c))
    return nn.Sequential(*layers, nn.ReLU())


class Cell(nn.Module):
    """Each op node applies its op to the sum of its inputs; the output sums its inputs."""

    def __init__(self, arch: str, c: int, bn: bool):
        super().__init__()
        bits, ops = split(arch)
        self.preds = {j: [i for (i, k), b in zip(EDGES, bits) if k == j and b] for j in range(1, N)}
        self.ops = nn.ModuleDict({str(n): _op(op, c, bn) for n, op in zip(INNER, ops) if self.preds[n]})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = {0: x}
        for n in INNER:
            if str(n) in self.ops:
                out[n] = self.ops[str(n)](sum(out[i] for i in self.preds[n]))
        return sum(out[i] for i in self.preds[N - 1])


class Net(nn.Module):
    def __init__(self, arch: str, in_channels: int, outputs: int, bn: bool):
        super().__init__()
        stem = [nn.Conv2d(in_channels, CHANNELS, 3, padding=1, bias=not bn)]
        if bn:
            stem.append(nn.BatchNorm2d(CHANNELS))
        self.stem = nn.Sequential(*stem, nn.ReLU())
        self.cells = nn.ModuleList(Cell(arch, CHANNELS, bn) for _ in range(CELLS))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(CHANNELS, outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.head(x)


def build(arch: str, in_channels: int, outputs: int, bn: bool) -> BuiltModel:
    net = Net(arch, in_channels, outputs, bn)
    return BuiltModel(
        module=net, stem=net.stem, cells=tuple(net.cells), head=net.head, features=net.cells[-1]
    )
