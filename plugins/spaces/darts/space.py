"""``DartsSpace``: the DARTS genotype space on NAS-Bench-301's CIFAR network."""

from __future__ import annotations

import dataclasses

import numpy as np
from pydantic import Field

from nas_harness.api import (
    BlockTopology,
    BuiltModel,
    Cost,
    Decision,
    Edge,
    Graph,
    HarnessError,
    Metric,
    OpInfo,
    Oracle,
    PluginConfig,
    Space,
    Task,
    Topology,
)

from . import cost as K
from . import genotype as G

DATASETS = {
    "cifar10": Task(
        "cifar10",
        10,
        (3, 32, 32),
        metrics=(Metric("accuracy", higher_is_better=True, unit="%", split="valid"),),
        data="cifar10",
        description="CIFAR-10 validation accuracy; the oracle says which training setup (NB301 or the shared-cell sample)",
    )
}
_OPINFO_FIELDS = {f.name for f in dataclasses.fields(OpInfo)}


def op_info(op: str, stride: int) -> OpInfo:
    """The op's attributes (``dilation`` is passed where the contract's ``OpInfo`` has it).

    sep_conv_kxk: depthwise-separable k×k, applied twice; dil_conv_kxk: depthwise k×k with
    dilation 2 (receptive field 2k-1); skip at stride 2: a 1×1 factorized reduction.
    """
    s = (stride, stride)
    if op in ("max_pool_3x3", "avg_pool_3x3"):
        kw = dict(name=op, kind="pool", kernel=(3, 3), stride=s)
    elif op == "skip_connect":
        kw = (
            dict(name=op, kind="skip")
            if stride == 1
            else dict(name="skip_connect_reduce", kind="conv", kernel=(1, 1), stride=s)
        )
    elif op == "none":
        kw = dict(name=op, kind="none")
    else:
        k = int(op[-1])
        kw = dict(name=op, kind="conv", kernel=(k, k), stride=s)
        if op.startswith("dil_conv_"):
            kw["dilation"] = 2
    return OpInfo(**{k: v for k, v in kw.items() if k in _OPINFO_FIELDS})


def _graph(g: G.Genotype, channels: int, layers: int, hw: int, num_classes: int) -> Graph:
    """The network's operation graph, cell by cell (edge ``block`` = index in ``topology().blocks``).

    Per cell: two input nodes (the outputs of the two previous cells, or the stem twice, each
    through its preprocessing: a 1×1 ReLU-conv-BN, or a factorized reduction after a reduction
    cell), the four intermediate nodes, each the sum of its two op edges, and the cell output,
    the concatenation of the four. ``none`` edges are left out (they carry nothing).
    """
    nodes: list[str] = ["input", "stem"]
    stem_op = OpInfo("stem conv3x3-bn", "conv", (3, 3), channels=3 * channels)
    edges: list[Edge] = [Edge(0, 1, stem_op, 0)]
    prev2, prev1 = 1, 1
    for b, s in enumerate(K.skeleton(channels, layers, hw), start=1):
        cell = g.reduce if s.reduction else g.normal
        ids = [len(nodes), len(nodes) + 1]
        nodes += ["cell_input0", "cell_input1"]
        pre0 = (
            OpInfo("factorized_reduce", "conv", (1, 1), (2, 2), channels=s.c)
            if s.reduction_prev
            else OpInfo("preprocess conv1x1", "conv", (1, 1), channels=s.c)
        )
        edges += [
            Edge(prev2, ids[0], pre0, b),
            Edge(prev1, ids[1], OpInfo("preprocess conv1x1", "conv", (1, 1), channels=s.c), b),
        ]
        for node in cell:
            ids.append(len(nodes))
            nodes.append("sum")
            for op, src in node:
                if op == "none":
                    continue
                st = 2 if s.reduction and src < G.N_INPUTS else 1
                edges.append(Edge(ids[src], ids[-1], op_info(op, st), b))
        out = len(nodes)
        nodes.append("cell_output")
        edges += [Edge(i, out, OpInfo("concat", "skip", channels=s.c), b) for i in ids[G.N_INPUTS :]]
        prev2, prev1 = prev1, out
    nodes.append("output")
    head = OpInfo("global_pool+dense", "linear", channels=num_classes)
    edges.append(Edge(prev1, len(nodes) - 1, head, layers + 1))
    return Graph(tuple(nodes), tuple(edges))


class DartsSpace(Space):
    name = "darts"
    version = "1.1"  # 1.1: the topology lists the head block and carries the operation graph
    summary = (
        "DARTS genotypes (normal + reduction cell, 4 nodes x 2 edges, 7 ops; 'none' and repeated sources "
        "parse) on NAS-Bench-301's CIFAR network (C=32, 8 cells, no auxiliary head); oracles: nb301, darts_shared_cell"
    )

    class Config(PluginConfig):
        channels: int = Field(32, ge=2, description="initial channels C (NB301: 32)")
        layers: int = Field(8, ge=3, description="number of cells (NB301: 8)")
        affine: bool = Field(
            True, description="affine BNs in the edge ops (DARTS eval network); False = NASLib's graph"
        )

    # ------------------------------------------------------------------ architectures
    def parse(self, text: str) -> str:
        return G.canonical(text)

    def iso_key(self, arch: str) -> str:
        return G.iso_key(G.parse(arch))

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise HarnessError(f"cannot sample {n!r} DARTS genotypes: n must be a non-negative integer")
        out: dict[str, None] = {}
        while len(out) < n:
            out.setdefault(G.to_string(G.sample(rng)), None)
        return list(out)

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        return G.to_string(G.mutate(G.parse(arch), rng))

    def neighbours(self, arch: str) -> list[str]:
        return [G.to_string(g) for g in G.neighbours(G.parse(arch))]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        return G.to_string(G.crossover(G.parse(a), G.parse(b), rng))

    def decisions(self) -> tuple[Decision, ...]:
        """Per cell and node: its source pair, the op on the lower source, the op on the higher;
        every vector is a genotype of the DARTS space (no repair needed)."""
        return tuple(Decision(name, options) for name, options in G.decisions())

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return G.to_choices(G.parse(arch))

    def from_choices(self, picks) -> str:
        return G.to_string(G.from_choices(picks))

    # ------------------------------------------------------------------ models
    def tasks(self) -> dict[str, Task]:
        return dict(DATASETS)

    def _info(self, dataset: str) -> Task:
        if dataset not in DATASETS:
            raise HarnessError(f"space 'darts' has no dataset {dataset!r}; known: {', '.join(DATASETS)}")
        return DATASETS[dataset]

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel:
        from .model import DartsNetwork

        c = self.config
        net = DartsNetwork(
            G.parse(arch),
            self._info(dataset).num_classes,
            c=c.channels,
            layers=c.layers,
            bn=bn,
            affine=c.affine,
        )
        f = net.features
        return BuiltModel(net, stem=f.stem, cells=tuple(f.cells), head=net.head, features=f)

    def cost(self, arch: str, dataset: str) -> Cost:
        info, c = self._info(dataset), self.config
        params, flops = K.cost(
            G.parse(arch), c.channels, c.layers, info.input_shape[1], info.num_classes, c.affine
        )
        return Cost(params=params, flops=flops)

    def topology(self, arch: str, dataset: str) -> Topology:
        """Stem, one block per cell listing every candidate op (count 0 when unused), the head;
        and the operation graph (``_graph``).

        In a reduction cell the ops leaving the two inputs have stride 2 and are listed apart
        from the same ops at stride 1.
        """
        g, info, c = G.parse(arch), self._info(dataset), self.config
        hw = info.input_shape[1]
        blocks = [
            BlockTopology(
                ops=(),
                c_in=3,
                c_out=3 * c.channels,
                hw_in=(hw, hw),
                hw_out=(hw, hw),
                searchable=False,
                name="stem",
            )
        ]
        for s in K.skeleton(c.channels, c.layers, hw):
            cell = g.reduce if s.reduction else g.normal
            counts: dict[tuple[str, int], int] = {}
            strides = (1, 2) if s.reduction else (1,)
            for op in G.ALL_OPS:
                for st in strides:
                    counts[(op, st)] = 0
            for node in cell:
                for op, src in node:
                    st = 2 if s.reduction and src < G.N_INPUTS else 1
                    counts[(op, st)] += 1
            ops = tuple((op_info(op, st), n) for (op, st), n in counts.items() if n or op != "none")
            blocks.append(
                BlockTopology(
                    ops=ops,
                    c_in=s.c_p,
                    c_out=s.c_out,
                    hw_in=(s.hw_in, s.hw_in),
                    hw_out=(s.hw_out, s.hw_out),
                    searchable=True,
                    name=f"cell{s.index}.{'reduce' if s.reduction else 'normal'}",
                )
            )
        last = blocks[-1]
        head = OpInfo("global_pool+dense", "linear", channels=info.num_classes)
        blocks.append(
            BlockTopology(
                ops=((head, 1),),
                c_in=last.c_out,
                c_out=info.num_classes,
                hw_in=last.hw_out,
                hw_out=(1, 1),
                searchable=False,
                name="head",
            )
        )
        return Topology(tuple(blocks), graph=_graph(g, c.channels, c.layers, hw, info.num_classes))

    # ------------------------------------------------------------------ ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        from .oracles import DartsSharedCellOracle, NB301Oracle

        return {NB301Oracle.name: NB301Oracle, DartsSharedCellOracle.name: DartsSharedCellOracle}
