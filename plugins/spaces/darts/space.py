"""``DartsSpace``: the DARTS genotype space on NAS-Bench-301's CIFAR network."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from nas_harness.api import (
    BlockTopology,
    Cost,
    DatasetInfo,
    HarnessError,
    OpInfo,
    Oracle,
    PluginConfig,
    Space,
    Topology,
)

from . import cost as K
from . import genotype as G

if TYPE_CHECKING:
    import torch

DATASETS = {"cifar10": DatasetInfo("cifar10", 10, (3, 32, 32))}
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
        kw = dict(name=op, kind="skip") if stride == 1 else dict(name="skip_connect_reduce", kind="conv", kernel=(1, 1), stride=s)
    elif op == "none":
        kw = dict(name=op, kind="none")
    else:
        k = int(op[-1])
        kw = dict(name=op, kind="conv", kernel=(k, k), stride=s)
        if op.startswith("dil_conv_"):
            kw["dilation"] = 2
    return OpInfo(**{k: v for k, v in kw.items() if k in _OPINFO_FIELDS})


class DartsSpace(Space):
    name = "darts"
    version = "1.0"
    summary = (
        "DARTS genotypes (normal + reduction cell, 4 nodes x 2 edges, 7 ops; 'none' and repeated sources "
        "parse) on NAS-Bench-301's CIFAR network (C=32, 8 cells, no auxiliary head); oracles: nb301, darts_shared_cell"
    )

    class Config(PluginConfig):
        channels: int = Field(32, ge=2, description="initial channels C (NB301: 32)")
        layers: int = Field(8, ge=3, description="number of cells (NB301: 8)")
        affine: bool = Field(True, description="affine BNs in the edge ops (DARTS eval network); False = NASLib's graph")

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

    def choices(self):
        return G.decisions()

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return G.to_choices(G.parse(arch))

    def from_choices(self, picks) -> str:
        return G.to_string(G.from_choices(picks))

    # ------------------------------------------------------------------ models
    def datasets(self) -> dict[str, DatasetInfo]:
        return dict(DATASETS)

    def _info(self, dataset: str) -> DatasetInfo:
        if dataset not in DATASETS:
            raise HarnessError(f"space 'darts' has no dataset {dataset!r}; known: {', '.join(DATASETS)}")
        return DATASETS[dataset]

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> "torch.nn.Module":
        from .model import DartsNetwork

        c = self.config
        return DartsNetwork(G.parse(arch), self._info(dataset).num_classes, c=c.channels, layers=c.layers, bn=bn, affine=c.affine)

    def cost(self, arch: str, dataset: str) -> Cost:
        info, c = self._info(dataset), self.config
        params, flops = K.cost(G.parse(arch), c.channels, c.layers, info.input_shape[1], info.num_classes, c.affine)
        return Cost(params=params, flops=flops)

    def topology(self, arch: str, dataset: str) -> Topology:
        """Stem, then one block per cell listing every candidate op (count 0 when unused).

        In a reduction cell the ops leaving the two inputs have stride 2 and are listed apart
        from the same ops at stride 1.
        """
        g, info, c = G.parse(arch), self._info(dataset), self.config
        hw = info.input_shape[1]
        blocks = [BlockTopology(ops=(), c_in=3, c_out=3 * c.channels, hw_in=(hw, hw), hw_out=(hw, hw), searchable=False, name="stem")]
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
        return Topology(tuple(blocks))

    # ------------------------------------------------------------------ ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        from .oracles import DartsSharedCellOracle, NB301Oracle

        return {NB301Oracle.name: NB301Oracle, DartsSharedCellOracle.name: DartsSharedCellOracle}
