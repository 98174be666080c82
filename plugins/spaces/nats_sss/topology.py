"""Layer list, topology descriptor and analytic cost of the NATS-SSS network (``model.py``).

``layers`` describes every layer of the network for one input size; the topology and the cost
are read from it, with no model built.

* Parameters are those of ``build_model(..., bn=True)``: conv weights (no biases), BN scale and
  shift, the classifier's weight and bias.
* FLOPs are multiply-accumulates for one image, counted as NATS-Bench counts them: every conv
  (k·k·c_in·c_out per output position) and the classifier (in·out + out). Pooling, BatchNorm,
  ReLU and additions are not counted. Both equal the official archive's ``params``/``flops``
  (×1e6) for its fixture architectures on all three datasets (a test).

**Topology for SED (sed.md §2.4).** The five layers are the searchable blocks (each one's width
is a decision); the stem is a fixed block. A cell lists the ops of the fixed NATS cell — five
``nor_conv_3x3`` and one ``skip_connect`` — with ``OpInfo.channels`` = the layer's output width,
whatever the widths: §2.4 reads the cell topology as fixed, so SED varies only through
sig(C_out). (In a cell whose input and output widths differ NATS runs that skip as a 1×1
conv + BN; ``layers`` records that implementation, the cell's op list keeps the genotype's
skip.) A residual block lists what it runs: two 3×3 convs (the first with stride 2), the
shortcut's 2×2/2 average pool and its 1×1 conv. SED then increases strictly with every layer's
width, and its argmax is 64:64:64:64:64, the #params argmax (paper 000, Table 2).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

from nas_harness.api import BlockTopology, Cost, Edge, Graph, OpInfo, Topology

from .arch import Code, widths
from .model import CELL, REDUCTION_LAYERS
from .tasks import task_info


@dataclass(frozen=True)
class Conv:
    """One conv the network runs: widths, kernel, stride and its output side."""

    name: str
    c_in: int
    c_out: int
    kernel: int
    stride: int
    hw_out: int
    bn: bool = True  # followed by an affine BN

    @property
    def params(self) -> int:
        return self.c_in * self.c_out * self.kernel**2 + (2 * self.c_out if self.bn else 0)

    @property
    def macs(self) -> int:
        return self.c_in * self.c_out * self.kernel**2 * self.hw_out**2


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str  # "stem" | "cell" | "reduction"
    c_in: int
    c_out: int
    hw_in: int
    hw_out: int
    convs: tuple[Conv, ...]
    searchable: bool


def _cell_convs(c_in: int, c_out: int, hw: int) -> tuple[Conv, ...]:
    convs = []
    for node, edges in enumerate(CELL, start=1):
        for op, src in edges:
            ci = c_in if src == 0 else c_out
            if op == "nor_conv_3x3":
                convs.append(Conv(f"{op}~{src}->{node}", ci, c_out, 3, 1, hw))
            elif op == "skip_connect" and ci != c_out:  # NATS's stride-1 FactorizedReduce
                convs.append(Conv(f"{op}~{src}->{node}(conv1x1)", ci, c_out, 1, 1, hw))
    return tuple(convs)


@functools.lru_cache(maxsize=65536)
def layers(code: Code, hw: int) -> tuple[Layer, ...]:
    """The stem and the five layers, in forward order, for a square input of side ``hw``."""
    w = widths(code)
    out = [Layer("stem", "stem", 3, w[0], hw, hw, (Conv("stem.conv3x3", 3, w[0], 3, 1, hw),), False)]
    c_prev = w[0]
    for i, c in enumerate(w):
        if i in REDUCTION_LAYERS:
            h2 = (hw + 1) // 2
            convs = (
                Conv("conv_a.conv3x3/2", c_prev, c, 3, 2, h2),
                Conv("conv_b.conv3x3", c, c, 3, 1, h2),
                Conv("shortcut.conv1x1", c_prev, c, 1, 1, h2, bn=False),
            )
            out.append(Layer(f"layer{i + 1}.reduction", "reduction", c_prev, c, hw, h2, convs, True))
            hw = h2
        else:
            out.append(
                Layer(f"layer{i + 1}.cell", "cell", c_prev, c, hw, hw, _cell_convs(c_prev, c, hw), True)
            )
        c_prev = c
    return tuple(out)


@functools.cache
def _op(name: str, kind: str, kernel: int = 1, stride: int = 1, channels: int | None = None) -> OpInfo:
    """An OpInfo; ``channels`` is kept where the contract's OpInfo has the field (v2)."""
    extra = {"channels": channels} if "channels" in {f.name for f in dataclasses.fields(OpInfo)} else {}
    return OpInfo(name, kind, kernel=(kernel, kernel), stride=(stride, stride), **extra)


N_CELL_CONVS = sum(op == "nor_conv_3x3" for node in CELL for op, _ in node)  # 5
N_CELL_SKIPS = sum(op == "skip_connect" for node in CELL for op, _ in node)  # 1


@functools.cache
def _block_ops(kind: str, c_in: int, c: int) -> tuple[tuple[OpInfo, int], ...]:
    if kind == "cell":
        return (
            (_op("nor_conv_3x3", "conv", 3, 1, c), N_CELL_CONVS),
            (_op("skip_connect", "skip", channels=c), N_CELL_SKIPS),
        )
    if kind == "reduction":
        return (
            (_op("conv_3x3_s2", "conv", 3, 2, c), 1),
            (_op("conv_3x3", "conv", 3, 1, c), 1),
            (_op("avg_pool_2x2_s2", "pool", 2, 2, c_in), 1),
            (_op("conv_1x1", "conv", 1, 1, c), 1),
        )
    return ()


@functools.lru_cache(maxsize=65536)
def topology_of(code: Code, task: str) -> Topology:
    hw = task_info(task).input_shape[1]
    blocks = tuple(
        BlockTopology(
            ops=_block_ops(layer.kind, layer.c_in, layer.c_out),
            c_in=layer.c_in,
            c_out=layer.c_out,
            hw_in=(layer.hw_in, layer.hw_in),
            hw_out=(layer.hw_out, layer.hw_out),
            searchable=layer.searchable,
            name=layer.name,
        )
        for layer in layers(code, hw)
    )
    return Topology(blocks, graph=graph_of(code, hw))


def graph_of(code: Code, hw: int) -> Graph:
    """The feature extractor's operation graph (the head, global pool + dense, is not a block of
    the topology, so it is left out); edge ``block`` = index of the layer in ``layers`` (0 =
    stem, 1–5 = the layers). A cell is NATS's fixed 4-node cell (node 0 =
    the previous layer's output; its stride-1 skip between different widths is the 1×1 conv +
    BN NATS runs); a residual block is conv3×3/2 → conv3×3 beside avg-pool 2×2/2 → conv1×1."""
    net = layers(code, hw)
    nodes: list[str] = ["input", "stem"]
    edges: list[Edge] = [Edge(0, 1, _op("stem conv3x3", "conv", 3, 1, net[0].c_out), 0)]
    current = 1
    for b, layer in enumerate(net[1:], start=1):
        c = layer.c_out
        if layer.kind == "reduction":
            mid, pooled, out = len(nodes), len(nodes) + 1, len(nodes) + 2
            nodes += ["conv_a", "shortcut_pool", "block_output"]
            edges += [
                Edge(current, mid, _op("conv_3x3_s2", "conv", 3, 2, c), b),
                Edge(mid, out, _op("conv_3x3", "conv", 3, 1, c), b),
                Edge(current, pooled, _op("avg_pool_2x2_s2", "pool", 2, 2, layer.c_in), b),
                Edge(pooled, out, _op("conv_1x1", "conv", 1, 1, c), b),
            ]
            current = out
            continue
        ids = [current] + list(range(len(nodes), len(nodes) + len(CELL)))
        nodes += ["sum"] * (len(CELL) - 1) + ["cell_output"]
        for node, node_edges in enumerate(CELL, start=1):
            for op, src in node_edges:
                if op == "nor_conv_3x3":
                    info = _op(op, "conv", 3, 1, c)
                elif src == 0 and layer.c_in != c:
                    info = _op("skip_connect(conv1x1)", "conv", 1, 1, c)
                else:
                    info = _op(op, "skip", channels=c)
                edges.append(Edge(ids[src], ids[node], info, b))
        current = ids[-1]
    return Graph(tuple(nodes), tuple(edges))


@functools.lru_cache(maxsize=65536)
def cost_of(code: Code, task: str) -> Cost:
    info = task_info(task)
    net = layers(code, info.input_shape[1])
    params = sum(conv.params for layer in net for conv in layer.convs)
    flops = sum(conv.macs for layer in net for conv in layer.convs)
    c_last, k = net[-1].c_out, info.num_classes
    params += 2 * c_last + c_last * k + k  # last BN, classifier
    flops += c_last * k + k
    return Cost(params=params, flops=flops)
