"""The NB101 network's skeleton, its per-vertex channels and its analytic cost (no torch).

As NB101 trains it (``model_builder.py``, paper §2.1): a stem 3×3 conv-BN-ReLU to 128
channels, 3 stacks of 3 cells, a 2×2 stride-2 max-pool before stacks 2 and 3 with the cells'
output channels doubled there (128, 256, 512), global average pooling and a dense layer.

Inside a cell (``vertex_channels``): the output's channels are split evenly among the
vertices that feed it (the first ``C mod k`` of them get one more), every other interior
vertex takes the largest channel count among its successors, an interior→interior edge
drops the extra channel when the source has one more, and the cell input reaches every
vertex it feeds (the output included) through a 1×1 conv-BN-ReLU projection. The output
concatenates the vertices that feed it and adds the projected input when the input feeds
it; a cell with no interior vertex is the projection alone.

Cost: parameters are those of the model (conv weights with no bias, BN scale and shift, the
dense weights and bias) — NB101's ``trainable_parameters``. FLOPs are multiply-accumulates of
one image: every conv (k·k·c_in·c_out per output position) and the dense layer (weights and
bias); pooling, BN, ReLU and the additions are not counted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from nas_harness.api import Cost

from .arch import CONV1, CONV3, Cell

STEM_CHANNELS = 128
NUM_STACKS = 3
CELLS_PER_STACK = 3
KERNEL = {CONV3: 3, CONV1: 1}


def vertex_channels(c_in: int, c_out: int, cell: Cell) -> tuple[int, ...]:
    """Output channels of every vertex of a pruned cell (NB101's ``compute_vertex_channels``)."""
    n = cell.n
    ch = [0] * n
    ch[0], ch[n - 1] = c_in, c_out
    if n == 2:
        return tuple(ch)
    feeders = [v for v in range(1, n - 1) if cell.matrix[v][n - 1]]
    share, extra = divmod(c_out, len(feeders))
    for k, v in enumerate(feeders):
        ch[v] = share + (1 if k < extra else 0)
    for v in range(n - 3, 0, -1):
        if not cell.matrix[v][n - 1]:
            ch[v] = max(ch[w] for w in range(v + 1, n - 1) if cell.matrix[v][w])
    return tuple(ch)


@dataclass(frozen=True)
class CellShape:
    """One cell of the network: its channels in/out and its (square) feature-map side."""

    name: str
    stack: int
    c_in: int
    c_out: int
    hw: int


@functools.cache
def cells(hw: int) -> tuple[CellShape, ...]:
    """The nine cells in forward order for a square input of side ``hw``."""
    out = []
    c_prev, c = STEM_CHANNELS, STEM_CHANNELS
    for s in range(NUM_STACKS):
        if s > 0:
            c *= 2
            hw = (hw + 1) // 2  # max-pool 2×2 stride 2, 'same' padding
        for k in range(CELLS_PER_STACK):
            out.append(CellShape(f"stack{s}.cell{k}", s, c_prev, c, hw))
            c_prev = c
    return tuple(out)


def _conv(c_in: int, c_out: int, k: int, hw: int) -> tuple[int, int]:
    """(params incl. BN scale/shift, MACs) of a conv-BN-ReLU."""
    w = k * k * c_in * c_out
    return w + 2 * c_out, w * hw * hw


def cell_cost(cell: Cell, c_in: int, c_out: int, hw: int) -> tuple[int, int]:
    n = cell.n
    ch = vertex_channels(c_in, c_out, cell)
    params = flops = 0
    for v in range(1, n):
        if cell.matrix[0][v]:  # projection of the cell input
            p, f = _conv(c_in, ch[v], 1, hw)
            params, flops = params + p, flops + f
        if v < n - 1 and cell.ops[v - 1] in KERNEL:
            p, f = _conv(ch[v], ch[v], KERNEL[cell.ops[v - 1]], hw)
            params, flops = params + p, flops + f
    return params, flops


def cost_of(cell: Cell, hw: int = 32, num_classes: int = 10) -> Cost:
    params, flops = _conv(3, STEM_CHANNELS, 3, hw)
    for shape in cells(hw):
        p, f = cell_cost(cell, shape.c_in, shape.c_out, shape.hw)
        params, flops = params + p, flops + f
    c_last = cells(hw)[-1].c_out
    dense = c_last * num_classes + num_classes
    return Cost(params=params + dense, flops=flops + dense)
