"""``NATSSSSpace``: the NATS-Bench size space (32,768 width configurations of one network)."""

from __future__ import annotations

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
from .tasks import TASKS as _INFO
from .tasks import task_info

_ACC = (Metric("accuracy", higher_is_better=True, unit="%"),)
_DATA = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet16"}
_WHAT = {
    "cifar10": "CIFAR-10 classification",
    "cifar100": "CIFAR-100 classification",
    "ImageNet16-120": "ImageNet16-120: 120 ImageNet classes downsampled to 16x16",
}
TASKS: dict[str, Task] = {
    name: Task(
        name, info.num_classes, info.input_shape, metrics=_ACC, data=_DATA[name], description=_WHAT[name]
    )
    for name, info in _INFO.items()
}


class NATSSSSpace(Space):
    name = "nats_sss"
    version = "1.0"
    summary = (
        "NATS-Bench size space: 32,768 width configs C1:C2:C3:C4:C5 from {8..64} of NATS's fixed-cell "
        "network, official index order; cifar10, cifar100, ImageNet16-120"
    )

    class Config(PluginConfig):
        pass

    # ------------------------------------------------------------------ architectures
    def parse(self, text: str) -> str:
        return A.canonical(text)

    def size(self) -> int:
        return A.SIZE

    def arch(self, index: int) -> str:
        return A.to_string(A.from_index(index))

    def index(self, arch: str) -> int:
        return A.to_index(A.parse_code(arch))

    def iso_key(self, arch: str) -> str:
        """Every width configuration is a different network: the canonical string."""
        return A.canonical(arch)

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= A.SIZE:
            raise HarnessError(f"cannot sample {n!r} distinct NATS-SSS architectures: the space has {A.SIZE}")
        return [self.arch(int(i)) for i in rng.choice(A.SIZE, size=int(n), replace=False)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        """One layer, uniformly, gets another width, uniformly."""
        code = A.parse_code(arch)
        layer = int(rng.integers(A.N_LAYERS))
        others = [d for d in range(len(A.WIDTHS)) if d != code[layer]]
        return A.to_string(code[:layer] + (others[int(rng.integers(len(others)))],) + code[layer + 1 :])

    def neighbours(self, arch: str) -> list[str]:
        return [A.to_string(c) for c in A.neighbour_codes(A.parse_code(arch))]

    def decisions(self) -> tuple[Decision, ...]:
        """One ordered decision per layer: its width."""
        return tuple(Decision(name, tuple(map(str, A.WIDTHS)), ordered=True) for name in A.LAYER_NAMES)

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return A.parse_code(arch)

    def from_choices(self, picks) -> str:
        return A.to_string(A.from_choices(picks))

    # ------------------------------------------------------------------ models and descriptors
    def tasks(self) -> dict[str, Task]:
        return dict(TASKS)

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel:
        from .model import SSSNetwork  # torch is imported only when a model is needed

        net = SSSNetwork(A.widths(self._code(arch)), task_info(dataset).num_classes, bn=bn)
        return BuiltModel(
            module=net, stem=net.stem, cells=tuple(net.cells), head=net.classifier, features=net.lastact
        )

    def topology(self, arch: str, dataset: str) -> Topology:
        from .topology import topology_of

        return topology_of(self._code(arch), task_info(dataset).name)

    def cost(self, arch: str, dataset: str) -> Cost:
        from .topology import cost_of

        return cost_of(self._code(arch), task_info(dataset).name)

    # ------------------------------------------------------------------ ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        from .oracle_natsbench import NATSBenchSSSOracle
        from .oracle_table import NATSSSSTable

        return {NATSSSSTable.name: NATSSSSTable, NATSBenchSSSOracle.name: NATSBenchSSSOracle}

    @staticmethod
    def _code(arch: str) -> A.Code:
        if not isinstance(arch, str):
            raise ArchError(
                f"a NATS-SSS architecture is a string C1:C2:C3:C4:C5, got {type(arch).__name__}: {arch!r}"
            )
        return A.parse_code(arch)
