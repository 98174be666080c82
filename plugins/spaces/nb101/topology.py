"""The NB101 topology descriptor: blocks for SED-like proxies and the operation graph.

Blocks, in forward order: the stem (fixed), the nine cells (searchable; their candidate ops
are NB101's three, each with the number of vertices that use it, unused ones with count 0)
and the two 2×2 max-pools between stacks (fixed). The 1×1 projections of a cell's input are
fixed parts of the cell; they appear in the graph, not among the candidates.

The graph is the whole network's dataflow with ops on edges. Per cell, every interior vertex
v is two nodes, ``sum`` (its inputs added) and ``vertex`` (after its op), joined by the op's
edge; the cell input reaches a vertex's ``sum`` (or the cell output) through a ``projection``
edge (1×1 conv-BN-ReLU), an interior vertex reaches a later one through an ``identity`` edge
(``truncate`` when it drops the extra channel) and the output through a ``concat`` edge. A
cell's output node is the next cell's input. Every edge names the index of its block in
``blocks``, which also lists the fixed stem, down-sampling pools and head (global pool + dense).
"""

from __future__ import annotations

import functools

from nas_harness.api import BlockTopology, Edge, Graph, OpInfo, Topology

from .arch import CONV1, CONV3, MAXPOOL, OPS, Cell
from .skeleton import STEM_CHANNELS, cells, vertex_channels

OP_INFO: tuple[OpInfo, ...] = (
    OpInfo("conv3x3-bn-relu", "conv", kernel=(3, 3)),
    OpInfo("conv1x1-bn-relu", "conv", kernel=(1, 1)),
    OpInfo("maxpool3x3", "pool", kernel=(3, 3)),
)
assert tuple(o.name for o in OP_INFO) == OPS and (CONV3, CONV1, MAXPOOL) == (0, 1, 2)
STEM = OpInfo("stem conv3x3-bn-relu", "conv", kernel=(3, 3), channels=STEM_CHANNELS)
DOWNSAMPLE = OpInfo("maxpool2x2", "pool", kernel=(2, 2), stride=(2, 2))


def _sq(hw: int) -> tuple[int, int]:
    return (hw, hw)


HEAD = OpInfo("global_pool+dense", "linear")


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
            blocks.append(
                BlockTopology(
                    ((DOWNSAMPLE, 1),),
                    prev.c_out,
                    prev.c_out,
                    _sq(prev.hw),
                    _sq(shape.hw),
                    searchable=False,
                    name=f"downsample{shape.stack}",
                )
            )
        blocks.append(
            BlockTopology(cell_ops, shape.c_in, shape.c_out, _sq(shape.hw), _sq(shape.hw), name=shape.name)
        )
        prev = shape
    blocks.append(
        BlockTopology(
            ((HEAD, 1),), prev.c_out, num_classes, _sq(prev.hw), (1, 1), searchable=False, name="head"
        )
    )
    return Topology(tuple(blocks), graph=graph_of(tuple(b.name for b in blocks), cell, hw, num_classes))


def graph_of(block_names: tuple[str, ...], cell: Cell, hw: int, num_classes: int) -> Graph:
    """The network's graph; each edge names the index (in ``block_names``) of its block."""
    block = {name: k for k, name in enumerate(block_names)}
    nodes: list[str] = ["input"]
    edges: list[Edge] = []

    def node(label: str) -> int:
        nodes.append(label)
        return len(nodes) - 1

    current = node("stem")
    edges.append(Edge(0, current, STEM, block["stem"]))
    n = cell.n
    prev_hw = None
    for shape in cells(hw):
        if prev_hw is not None and prev_hw != shape.hw:
            pooled = node("downsample")
            edges.append(Edge(current, pooled, DOWNSAMPLE, block[f"downsample{shape.stack}"]))
            current = pooled
        prev_hw = shape.hw
        b = block[shape.name]
        ch = vertex_channels(shape.c_in, shape.c_out, cell)
        vertex = {0: current}
        for v in range(1, n - 1):
            s = node("sum")
            for u in range(v):
                if cell.matrix[u][v]:
                    edges.append(Edge(vertex[u], s, _link(u, ch, v), b))
            vertex[v] = node("vertex")
            edges.append(Edge(s, vertex[v], replace_channels(OP_INFO[cell.ops[v - 1]], ch[v]), b))
        out = node("cell_output")  # created after the interior vertices: nodes follow the forward pass
        for u in range(n - 1):
            if cell.matrix[u][n - 1]:
                op = _link(0, ch, n - 1) if u == 0 else OpInfo("concat", "skip", channels=ch[u])
                edges.append(Edge(vertex[u], out, op, b))
        current = out
    head = node("output")
    edges.append(Edge(current, head, replace_channels(HEAD, num_classes), block["head"]))
    return Graph(tuple(nodes), tuple(edges))


def _link(u: int, ch: tuple[int, ...], v: int) -> OpInfo:
    if u == 0:
        return OpInfo("projection", "conv", kernel=(1, 1), channels=ch[v])
    return OpInfo("truncate" if ch[u] > ch[v] else "identity", "skip", channels=ch[v])


def replace_channels(op: OpInfo, channels: int) -> OpInfo:
    return OpInfo(op.name, op.kind, op.kernel, op.stride, op.dilation, op.groups, op.expansion, channels)
