"""Topology descriptor and analytic cost of the NB201 network (see ``model.py``).

Both follow from the macro skeleton and the op counts of the cell, with no model built:

* parameters are those of ``build_model(..., bn=True)``: conv weights (no biases), BN scale
  and shift, the classifier's weight and bias;
* FLOPs are multiply-accumulates for one image counted the way NAS-Bench-201 counts them:
  every conv (k·k·c_in·c_out per output position) and the classifier (in·out + out for the
  bias). Pooling, BatchNorm, ReLU and the additions of a cell are not counted, exactly as in
  NB201's ``flops`` (which is this number / 1e6). Convs whose input is always zero (an edge
  fed only by ``none``) still count, as they run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from nas_harness.api import BlockTopology, Cost, OpInfo, Topology

from .arch import CONV1, CONV3, OPS, Code, op_counts
from .datasets import dataset_info

C_STEM = 16  # channels of the stem and stage 1 (NB201's C)
CELLS_PER_STAGE = 5  # NB201's N

OP_INFO: tuple[OpInfo, ...] = (
    OpInfo("none", "none"),
    OpInfo("skip_connect", "skip"),
    OpInfo("nor_conv_1x1", "conv", kernel=(1, 1), stride=(1, 1)),
    OpInfo("nor_conv_3x3", "conv", kernel=(3, 3), stride=(1, 1)),
    OpInfo("avg_pool_3x3", "pool", kernel=(3, 3), stride=(1, 1)),
)
assert tuple(o.name for o in OP_INFO) == OPS


@dataclass(frozen=True)
class _Block:
    name: str
    kind: str  # "stem" | "cell" | "reduction"
    c_in: int
    c_out: int
    hw_in: int
    hw_out: int


@functools.cache
def skeleton(hw: int) -> tuple[_Block, ...]:
    """The network's blocks, in forward order, for a square input of side ``hw``."""
    blocks = [_Block("stem", "stem", 3, C_STEM, hw, hw)]
    c = C_STEM
    for stage in range(1, 4):
        if stage > 1:
            blocks.append(_Block(f"reduction{stage - 1}", "reduction", c, 2 * c, hw, (hw + 1) // 2))
            c, hw = 2 * c, (hw + 1) // 2
        blocks.extend(_Block(f"stage{stage}.cell{k}", "cell", c, c, hw, hw) for k in range(CELLS_PER_STAGE))
    return tuple(blocks)


@functools.cache
def topology_of(code: Code, dataset: str) -> Topology:
    hw = dataset_info(dataset).input_shape[1]
    counts = op_counts(code)
    # Every candidate op is listed, unused ones with count 0: SED's kernel sets come from the
    # space's optional ops (sed.md §2.3 puts the 3×3 pool in every cell's 𝒪 as O_1).
    cell_ops = tuple((OP_INFO[op], n) for op, n in enumerate(counts))
    blocks = []
    for b in skeleton(hw):
        cell = b.kind == "cell"
        blocks.append(
            BlockTopology(
                ops=cell_ops if cell else (),
                c_in=b.c_in,
                c_out=b.c_out,
                hw_in=(b.hw_in, b.hw_in),
                hw_out=(b.hw_out, b.hw_out),
                searchable=cell,
                name=b.name,
            )
        )
    return Topology(tuple(blocks))


def _conv(c_in: int, c_out: int, k: int, hw_out: int) -> tuple[int, int]:
    """(weights, MACs) of a bias-free k×k conv."""
    w = c_in * c_out * k * k
    return w, w * hw_out * hw_out


@functools.cache
def _cost(n_conv1: int, n_conv3: int, hw: int, num_classes: int) -> Cost:
    params = flops = 0
    for b in skeleton(hw):
        if b.kind == "stem":
            w, f = _conv(3, b.c_out, 3, b.hw_out)
            params, flops = params + w + 2 * b.c_out, flops + f
        elif b.kind == "reduction":
            for c_in, k in ((b.c_in, 3), (b.c_out, 3)):  # conv_a (stride 2), conv_b
                w, f = _conv(c_in, b.c_out, k, b.hw_out)
                params, flops = params + w + 2 * b.c_out, flops + f
            w, f = _conv(b.c_in, b.c_out, 1, b.hw_out)  # shortcut conv after 2×2 pooling
            params, flops = params + w, flops + f
        else:
            for n, k in ((n_conv1, 1), (n_conv3, 3)):
                w, f = _conv(b.c_in, b.c_out, k, b.hw_out)
                params, flops = params + n * (w + 2 * b.c_out), flops + n * f
    c_last = skeleton(hw)[-1].c_out
    params += 2 * c_last  # last BN
    params += c_last * num_classes + num_classes
    flops += c_last * num_classes + num_classes
    return Cost(params=params, flops=flops)


def cost_of(code: Code, dataset: str) -> Cost:
    info = dataset_info(dataset)
    counts = op_counts(code)
    return _cost(counts[CONV1], counts[CONV3], info.input_shape[1], info.num_classes)
