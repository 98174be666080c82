"""The NB101 network as a ``torch.nn.Module`` (the skeleton and channel rules: ``skeleton.py``).

Conv-BN-ReLU is a bias-free 'same' conv, BatchNorm (eps 1e-5, TF momentum 0.997 = torch
momentum 0.003) and ReLU; ``maxpool3x3`` is a 3×3 stride-1 max-pool padded to keep the size;
the down-sampling between stacks is a 2×2 stride-2 max-pool. With ``bn=False`` every BN is an
``nn.Identity``. Every ReLU is out-of-place so that a proxy's hooks see a layer's input.
"""

from __future__ import annotations

import torch
from torch import nn

from .arch import MAXPOOL, Cell
from .skeleton import CELLS_PER_STACK, KERNEL, NUM_STACKS, STEM_CHANNELS, vertex_channels


class ConvBNReLU(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, k: int, bn: bool):
        super().__init__(
            nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.003) if bn else nn.Identity(),
            nn.ReLU(inplace=False),
        )


class NB101Cell(nn.Module):
    """One module: interior vertices sum their (truncated) inputs and the projected cell input,
    apply their op; the output concatenates its feeders and adds the projected input."""

    def __init__(self, cell: Cell, c_in: int, c_out: int, bn: bool):
        super().__init__()
        self.cell = cell
        n = cell.n
        self.channels = vertex_channels(c_in, c_out, cell)
        ops: list[nn.Module] = [nn.Identity()]
        for v in range(1, n - 1):
            op = cell.ops[v - 1]
            c = self.channels[v]
            ops.append(
                nn.MaxPool2d(3, stride=1, padding=1) if op == MAXPOOL else ConvBNReLU(c, c, KERNEL[op], bn)
            )
        self.ops = nn.ModuleList(ops)
        self.proj = nn.ModuleDict(
            {str(v): ConvBNReLU(c_in, self.channels[v], 1, bn) for v in range(1, n) if cell.matrix[0][v]}
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cell, n, ch = self.cell, self.cell.n, self.channels
        values = [x]
        concat = []
        for v in range(1, n - 1):
            terms = [values[u][:, : ch[v]] for u in range(1, v) if cell.matrix[u][v]]
            if cell.matrix[0][v]:
                terms.append(self.proj[str(v)](x))
            total = terms[0]
            for t in terms[1:]:
                total = total + t
            values.append(self.ops[v](total))
            if cell.matrix[v][n - 1]:
                concat.append(values[v])
        if not concat:
            return self.proj[str(n - 1)](x)
        out = concat[0] if len(concat) == 1 else torch.cat(concat, dim=1)
        if cell.matrix[0][n - 1]:
            out = out + self.proj[str(n - 1)](x)
        return out


class Features(nn.Module):
    """Stem, stacks of cells and down-sampling pools: the network up to the head."""

    def __init__(self, cell: Cell, bn: bool):
        super().__init__()
        self.stem = ConvBNReLU(3, STEM_CHANNELS, 3, bn)
        blocks: list[nn.Module] = []
        c_prev = c = STEM_CHANNELS
        for s in range(NUM_STACKS):
            if s > 0:
                blocks.append(nn.MaxPool2d(2, stride=2))
                c *= 2
            for _ in range(CELLS_PER_STACK):
                blocks.append(NB101Cell(cell, c_prev, c, bn))
                c_prev = c
        self.blocks = nn.ModuleList(blocks)
        self.out_channels = c

    def cells(self) -> list[nn.Module]:
        return [b for b in self.blocks if isinstance(b, NB101Cell)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return x


class Head(nn.Module):
    """Global average pooling and the dense layer."""

    def __init__(self, c: int, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(x), 1))


class NB101Network(nn.Module):
    def __init__(self, cell: Cell, num_classes: int = 10, *, bn: bool = True):
        super().__init__()
        self.features = Features(cell, bn)
        self.head = Head(self.features.out_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
