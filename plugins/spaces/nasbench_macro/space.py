"""``MacroSpace``: NAS-Bench-Macro (6,561 archs, 3,969 distinct networks, CIFAR-10)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nas_harness.api import (
    ArchError,
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
        metrics=(Metric("accuracy", higher_is_better=True, unit="%", split="test"),),
        data="cifar10",
        description="CIFAR-10 test accuracy as NAS-Bench-Macro trained each network (3 runs)",
    ),
}


class MacroSpace(Space):
    name = "nasbench_macro"
    version = "1.0"
    summary = (
        "NAS-Bench-Macro: 8 layers x {identity, MB3_K3, MB6_K5} in stages of 2/3/3 (6,561 archs, 3,969 distinct "
        "networks: later identities of a stage are no-ops), index = the benchmark's base-3 enumeration"
    )

    class Config(PluginConfig):
        pass

    # ------------------------------------------------------------------ architectures
    def parse(self, text: str) -> str:
        return A.to_string(A.parse_code(text))

    def size(self) -> int:
        return A.SIZE

    def arch(self, index: int) -> str:
        return A.to_string(A.code_at(index))

    def index(self, arch: str) -> int:
        return A.index_of(A.parse_code(arch))

    def iso_key(self, arch: str) -> str:
        return A.to_string(A.canonical_code(A.parse_code(arch)))

    # ------------------------------------------------------------------ moves
    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` distinct networks (canonical archs) drawn uniformly among the 3,969."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise HarnessError(f"cannot sample {n!r} NAS-Bench-Macro architectures: give a count")
        return [A.to_string(c) for c in A.sample_codes(int(n), rng)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        return A.to_string(A.mutate_code(A.parse_code(arch), rng))

    def neighbours(self, arch: str) -> list[str]:
        return [A.to_string(c) for c in A.neighbour_codes(A.parse_code(arch))]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        return A.to_string(A.crossover_codes(A.parse_code(a), A.parse_code(b), rng))

    def decisions(self) -> tuple[Decision, ...]:
        return tuple(Decision(f"layer{k}", A.OPS) for k in range(A.N_LAYERS))

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return A.parse_code(arch)

    def from_choices(self, picks: Sequence[int]) -> str:
        code = tuple(int(p) for p in picks)
        if len(code) != A.N_LAYERS or not all(0 <= p < len(A.OPS) for p in code):
            raise ArchError(
                f"NAS-Bench-Macro choices are {A.N_LAYERS} op indices in 0..2, got {list(picks)!r}"
            )
        return A.to_string(code)

    # ------------------------------------------------------------------ models and descriptors
    def tasks(self) -> dict[str, Task]:
        return dict(TASKS)

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel:
        from .model import MacroNetwork

        net = MacroNetwork(A.parse_code(arch), self.task(dataset).num_classes, bn=bn)
        f = net.features
        return BuiltModel(net, stem=f.stem, cells=tuple(f.layers), head=net.head, features=f)

    def topology(self, arch: str, dataset: str) -> Topology:
        from .topology import topology_of

        task = self.task(dataset)
        return topology_of(A.parse_code(arch), task.input_shape[1], task.num_classes)

    def cost(self, arch: str, dataset: str) -> Cost:
        from .skeleton import cost

        task = self.task(dataset)
        params, flops = cost(A.parse_code(arch), task.input_shape[1], task.num_classes)
        return Cost(params=params, flops=flops)

    # ------------------------------------------------------------------ ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        from .oracle import MacroTableOracle

        return {MacroTableOracle.name: MacroTableOracle}
