"""``NB201Space``: the NAS-Bench-201 / NATS-Bench topology search space (15,625 cells)."""

from __future__ import annotations

import numpy as np

from nas_harness.api import (
    ArchError,
    BuiltModel,
    Cost,
    Decision,
    HarnessError,
    Oracle,
    PluginConfig,
    Space,
    Task,
    Topology,
)

from . import arch as A
from .datasets import DATASETS, dataset_info


class NB201Space(Space):
    name = "nb201"
    version = "1.0"
    summary = (
        "NAS-Bench-201 / NATS-Bench-TSS: 15,625 cells (4 nodes, 6 edges, 5 ops) in NB201's "
        "TinyNetwork, official index order, NB201's isomorphism classes (6,466)"
    )

    class Config(PluginConfig):
        pass

    # ------------------------------------------------------------------ architectures
    def parse(self, text: str) -> str:
        return A.canonical(text)

    def size(self) -> int:
        return A.SIZE

    def arch(self, index: int) -> str:
        return A.arch_at(index)

    def index(self, arch: str) -> int:
        return A.index_of_code(self._code(arch))

    def iso_key(self, arch: str) -> str:
        return A.unique_string(self._code(arch))

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= A.SIZE:
            raise HarnessError(f"cannot sample {n!r} distinct NB201 architectures: the space has {A.SIZE}")
        picks = rng.choice(A.SIZE, size=int(n), replace=False)
        return [A.arch_at(int(i)) for i in picks]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        code = self._code(arch)
        edge = int(rng.integers(A.N_EDGES))
        others = [op for op in range(len(A.OPS)) if op != code[edge]]
        op = others[int(rng.integers(len(others)))]
        return A.to_string(code[:edge] + (op,) + code[edge + 1 :])

    def neighbours(self, arch: str) -> list[str]:
        return [A.to_string(c) for c in A.neighbour_codes(self._code(arch))]

    def decisions(self) -> tuple[Decision, ...]:
        """One decision per edge (in NB201's string order), five ops each."""
        return tuple(Decision(f"edge{i}->{j}", A.OPS) for i, j in A.EDGES)

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return tuple(self._code(arch))

    def from_choices(self, picks) -> str:
        code = tuple(int(p) for p in picks)
        if len(code) != A.N_EDGES or not all(0 <= p < len(A.OPS) for p in code):
            raise ArchError(
                f"NB201 choices are {A.N_EDGES} op indices in 0..{len(A.OPS) - 1}, got {list(picks)!r}"
            )
        return A.to_string(code)

    # ------------------------------------------------------------------ models and descriptors
    def tasks(self) -> dict[str, Task]:
        return dict(DATASETS)

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel:
        from .model import NB201Network  # torch is imported only when a model is needed

        net = NB201Network(self._code(arch), dataset_info(dataset).num_classes, bn=bn)
        return BuiltModel(
            module=net, stem=net.stem, cells=tuple(net.cells), head=net.classifier, features=net.lastact
        )

    def topology(self, arch: str, dataset: str) -> Topology:
        from .topology import topology_of

        return topology_of(self._code(arch), dataset)

    def cost(self, arch: str, dataset: str) -> Cost:
        from .topology import cost_of

        return cost_of(self._code(arch), dataset)

    # ------------------------------------------------------------------ ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        from .oracle_hpobench import SimpleHPOBenchOracle
        from .oracle_natsbench import NATSBenchOracle
        from .oracle_table import TableOracle

        return {
            SimpleHPOBenchOracle.name: SimpleHPOBenchOracle,
            NATSBenchOracle.name: NATSBenchOracle,
            TableOracle.name: TableOracle,
        }

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _code(arch: str) -> A.Code:
        if not isinstance(arch, str):
            raise ArchError(f"an NB201 architecture is a string, got {type(arch).__name__}: {arch!r}")
        return A.code_of(arch)
