"""A tiny in-memory search space and proxies for unit tests of the engine and protocols."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from nas_harness.api import (
    ArchError,
    BlockTopology,
    Cost,
    DatasetInfo,
    Needs,
    OpInfo,
    Oracle,
    OracleInfo,
    PluginConfig,
    Proxy,
    Space,
    Topology,
)


class ToySpace(Space):
    """Archs ``w1`` … ``w40``: an MLP whose hidden width is the number."""

    name = "toy"
    version = "1"
    SIZE = 40

    def parse(self, text: str) -> str:
        if not (text.startswith("w") and text[1:].isdigit() and 1 <= int(text[1:]) <= self.SIZE):
            raise ArchError(f"toy arch must be w1..w{self.SIZE}, got {text!r}")
        return text

    def size(self) -> int:
        return self.SIZE

    def arch(self, index: int) -> str:
        return f"w{index + 1}"

    def index(self, arch: str) -> int:
        return int(self.parse(arch)[1:]) - 1

    def sample(self, n, rng):
        return [self.arch(int(i)) for i in rng.choice(self.SIZE, n, replace=False)]

    def mutate(self, arch, rng):
        return self.neighbours(arch)[int(rng.integers(len(self.neighbours(arch))))]

    def neighbours(self, arch):
        i = self.index(arch)
        return [self.arch(j) for j in (i - 1, i + 1) if 0 <= j < self.SIZE]

    def datasets(self):
        return {"toy": DatasetInfo("toy", 3, (1, 2, 2))}

    def build_model(self, arch, dataset, *, bn=True):
        width = int(arch[1:])
        return nn.Sequential(nn.Flatten(), nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 3))

    def topology(self, arch, dataset):
        width = int(arch[1:])
        op = OpInfo("linear", "other")
        return Topology((BlockTopology(((op, 1),), 4, width, (1, 1), (1, 1)),))

    def cost(self, arch, dataset):
        width = int(arch[1:])
        return Cost(params=4 * width + width + 3 * width + 3, flops=7 * width)

    def oracles(self):
        return {"toy": ToyOracle}


class ToyOracle(Oracle):
    name = "toy"

    def describe(self, dataset):
        return OracleInfo("toy", dataset, "accuracy", "test", 1, "exact")

    def query(self, archs, dataset):
        return np.array([float(int(a[1:])) for a in archs])


class WidthProxy(Proxy):
    """Counts hidden units of the built model (needs the model, not data)."""

    name = "width"
    version = "1"
    needs = frozenset({Needs.MODEL})
    calls = 0

    def score(self, ctx):
        type(self).calls += 1
        return float(ctx.build_model()[1].out_features)


class FlakyProxy(Proxy):
    """Raises on widths divisible by 5, NaN on widths divisible by 7."""

    name = "flaky"
    version = "1"
    needs = frozenset({Needs.DATA, Needs.MODEL})

    def score(self, ctx):
        width = int(ctx.arch[1:])
        if width % 5 == 0:
            raise RuntimeError(f"width {width} is cursed")
        if width % 7 == 0:
            return float("nan")
        return ctx.build_model()(ctx.inputs).sum().item()


class TopoCfg(PluginConfig):
    scale: float = 1.0


class TopoProxy(Proxy):
    """Vectorised topology-only proxy."""

    name = "topo"
    version = "1"
    needs = frozenset({Needs.TOPOLOGY})
    Config = TopoCfg

    def score(self, ctx):
        return self.config.scale * ctx.topology.blocks[0].c_out

    def score_topologies(self, topologies):
        return self.config.scale * np.array([t.blocks[0].c_out for t in topologies], dtype=float)


class PathTopoProxy(TopoProxy):
    """Says which path scored it: 1 per architecture (``score``), 0 batched (``score_topologies``)."""

    name = "which_path"

    def score(self, ctx):
        return 1.0

    def score_topologies(self, topologies):
        return np.zeros(len(topologies))


def toy_batch():
    from types import SimpleNamespace

    g = torch.Generator().manual_seed(0)
    return SimpleNamespace(
        inputs=torch.randn(4, 1, 2, 2, generator=g),
        targets=torch.tensor([0, 1, 2, 0]),
        kind="noise",
        spec="noise(bs=4,s=0)",
        fallback=True,
    )
