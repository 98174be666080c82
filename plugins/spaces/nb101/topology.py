"""The NB101 topology descriptor: the blocks SED-like proxies read.

Blocks, in forward order: the stem (fixed), the nine cells (searchable; their candidate ops
are NB101's three, each with the number of vertices that use it, unused ones with count 0),
the two 2×2 max-pools between stacks and the head (global pool + dense), all fixed. The 1×1
projections of a cell's input are fixed parts of the cell, not candidates. (The cell's
operation graph comes with contract v2's ``Topology.graph``.)
"""

from __future__ import annotations

import functools

from nas_harness.api import BlockTopology, OpInfo, Topology

from .arch import CONV1, CONV3, MAXPOOL, OPS, Cell
from .skeleton import STEM_CHANNELS, cells

OP_INFO: tuple[OpInfo, ...] = (
    OpInfo("conv3x3-bn-relu", "conv", kernel=(3, 3)),
    OpInfo("conv1x1-bn-relu", "conv", kernel=(1, 1)),
    OpInfo("maxpool3x3", "pool", kernel=(3, 3)),
)
assert tuple(o.name for o in OP_INFO) == OPS and (CONV3, CONV1, MAXPOOL) == (0, 1, 2)
STEM = OpInfo("stem conv3x3-bn-relu", "conv", kernel=(3, 3))
DOWNSAMPLE = OpInfo("maxpool2x2", "pool", kernel=(2, 2), stride=(2, 2))


def _sq(hw: int) -> tuple[int, int]:
    return (hw, hw)


HEAD = OpInfo("global_pool+dense", "other")


@functools.lru_cache(maxsize=4096)
def topology_of(cell: Cell, hw: int = 32, num_classes: int = 10) -> Topology:
    counts = [0] * len(OPS)
    for op in cell.ops:
        counts[op] += 1
    cell_ops = tuple((OP_INFO[k], counts[k]) for k in range(len(OPS)))
    blocks = [BlockTopology(((STEM, 1),), 3, STEM_CHANNELS, _sq(hw), _sq(hw), searchable=False, name="stem")]
    prev = None
    for shape in cells(hw):
        if prev is not None and prev.hw != shape.hw:
            blocks.append(BlockTopology(((DOWNSAMPLE, 1),), prev.c_out, prev.c_out, _sq(prev.hw), _sq(shape.hw),
                                        searchable=False, name=f"downsample{shape.stack}"))
        blocks.append(BlockTopology(cell_ops, shape.c_in, shape.c_out, _sq(shape.hw), _sq(shape.hw), name=shape.name))
        prev = shape
    blocks.append(BlockTopology(((HEAD, 1),), prev.c_out, num_classes, _sq(prev.hw), (1, 1), searchable=False,
                                name="head"))
    return Topology(tuple(blocks))

