"""``NB101Space``: NAS-Bench-101 (cells of ≤ 7 vertices and ≤ 9 edges, CIFAR-10)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nas_harness.api import (
    BuiltModel,
    Cost,
    Decision,
    HarnessError,
    Metric,
    Oracle,
    PluginConfig,
    Space,
    Task,
    Topology,
)

from . import arch as A

TASKS: dict[str, Task] = {
    "cifar10": Task(
        "cifar10",
        10,
        (3, 32, 32),
        metrics=(Metric("accuracy", higher_is_better=True, unit="%", split="valid", epochs=108),),
        data="cifar10",
        description="CIFAR-10 as NB101 trains it (108 epochs); the oracle says which accuracy it holds",
    ),
}


class NB101Space(Space):
    name = "nb101"
    version = "1.0"
    summary = (
        "NAS-Bench-101: cells of <= 7 vertices and <= 9 edges with conv3x3/conv1x1/maxpool3x3 vertices, "
        "pruned as NB101 prunes them, identified by NB101's graph hash; 3 stacks x 3 cells, 128-channel stem"
    )

    class Config(PluginConfig):
        pass

    # ------------------------------------------------------------------ architectures
    def parse(self, text: str) -> str:
        return A.canonical(text)

    def iso_key(self, arch: str) -> str:
        return A.graph_hash(A.cell_of(arch))

    # ------------------------------------------------------------------ moves
    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise HarnessError(f"cannot sample {n!r} NB101 cells: give a count >= 0")
        return [A.format_cell(c) for c in A.sample_cells(int(n), rng)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        return A.format_cell(A.mutate(A.cell_of(arch), rng))

    def neighbours(self, arch: str) -> list[str]:
        return [A.format_cell(c) for c in A.neighbour_cells(A.cell_of(arch))]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        return A.format_cell(A.crossover(A.cell_of(a), A.cell_of(b), rng))

    def decisions(self) -> tuple[Decision, ...]:
        """The 7-vertex form: 21 edge bits (``edge i->j``) then the 5 interior ops."""
        edges = tuple(Decision(f"edge{i}->{j}", ("0", "1")) for i, j in A.EDGES_7)
        return edges + tuple(Decision(f"op{v}", A.SHORT) for v in range(1, A.MAX_VERTICES - 1))

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return A.to_choices(A.cell_of(arch))

    def from_choices(self, picks: Sequence[int]) -> str:
        return A.format_cell(A.check(A.cell_from_choices(picks)))

    def repair(self, picks: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
        return A.repair_choices(picks, rng)

    # ------------------------------------------------------------------ models and descriptors
    def tasks(self) -> dict[str, Task]:
        return dict(TASKS)

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel:
        from .model import NB101Network

        net = NB101Network(A.cell_of(arch), self.task(dataset).num_classes, bn=bn)
        return BuiltModel(
            net,
            stem=net.features.stem,
            cells=tuple(net.features.cells()),
            head=net.head,
            features=net.features,
        )

    def topology(self, arch: str, dataset: str) -> Topology:
        from .topology import topology_of

        task = self.task(dataset)
        return topology_of(A.cell_of(arch), task.input_shape[1], task.num_classes)

    def cost(self, arch: str, dataset: str) -> Cost:
        from .skeleton import cost_of

        task = self.task(dataset)
        return cost_of(A.cell_of(arch), task.input_shape[1], task.num_classes)

    # ------------------------------------------------------------------ ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        from .oracles import EproxySampleOracle, NBSZOracle

        return {EproxySampleOracle.name: EproxySampleOracle, NBSZOracle.name: NBSZOracle}
