"""``NBMRSpace``: NAS-Bench-MR, the 2,507 listed multi-resolution networks and nine tasks."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from nas_harness.api import (
    ArchError,
    BuiltModel,
    Cost,
    HarnessError,
    Metric,
    Oracle,
    PluginConfig,
    Space,
    Task,
    Topology,
)

from . import arch as A
from .listing import Listing, load
from .tasks import SCORING_CLASSES, SCORING_SHAPE, TASK_SPECS, task_spec


def _metric(column: str) -> Metric:
    name = column.rsplit("_", 1)[-1] if column != "3ddet_moderate" else "AP_moderate"
    return Metric(name, higher_is_better=True, unit="%")


# Every task scores the same classifier on the same batch, so they share one set of scores.
_SCORED_AS = next(iter(TASK_SPECS))

TASKS: dict[str, Task] = {
    name: Task(
        name,
        SCORING_CLASSES,
        SCORING_SHAPE,
        metrics=tuple(_metric(c) for c in spec.columns),
        data="cifar10",
        description=(
            f"{spec.what}; ground truth from nbmr.csv column {spec.columns[0]!r}. Proxies score the "
            "network's classification form (10 classes) on the run's input batch, CIFAR-10 images by "
            "default (the Eproxy paper's convention), not on this task's own data"
        ),
        scored_as=None if name == _SCORED_AS else _SCORED_AS,
    )
    for name, spec in TASK_SPECS.items()
}


class NBMRSpace(Space):
    name = "nbmr"
    version = "1.0"
    summary = (
        "NAS-Bench-MR: the 2,507 listed multi-resolution networks (index = row of nbmr.csv), nine tasks "
        "(ImageNet-subset cls, Cityscapes seg, HMDB51 video, KITTI 3D det); scored as CIFAR-10 classifiers"
    )

    class Config(PluginConfig):
        path: str = Field(
            "data/nbmr/nbmr.csv",
            description="the benchmark's list (nbmr.csv); relative paths are looked up in the shared data folder",
        )
        mutate_k: int = Field(5, ge=1, description="mutate picks one of this many nearest listed networks")
        neighbours_k: int = Field(
            10, ge=1, description="neighbours() returns this many nearest listed networks"
        )

    def listing(self) -> Listing:
        return load(self.config.path)

    # ------------------------------------------------------------------ architectures
    def parse(self, text: str) -> str:
        """The canonical code, if the benchmark lists it (a valid network it does not list is
        not in the space)."""
        listing = self.listing()
        return listing.codes[listing.lookup(A.canonical(text))]

    def size(self) -> int:
        return len(self.listing())

    def arch(self, index: int) -> str:
        n = len(self.listing())
        if isinstance(index, bool) or not hasattr(index, "__index__") or not 0 <= index.__index__() < n:
            raise ArchError(f"a NAS-Bench-MR index is an integer in [0, {n}), got {index!r}")
        return self.listing().codes[index.__index__()]

    def index(self, arch: str) -> int:
        return self.listing().lookup(arch)

    def iso_key(self, arch: str) -> str:
        """Every listed code is a different network: the canonical code."""
        return A.canonical(arch)

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        size = self.size()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= size:
            raise HarnessError(
                f"cannot sample {n!r} distinct NAS-Bench-MR networks: the benchmark lists {size}"
            )
        return [self.listing().codes[int(i)] for i in rng.choice(size, size=int(n), replace=False)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        """One of the ``mutate_k`` listed networks nearest by scaled embedding distance, uniformly."""
        listing = self.listing()
        near = listing.nearest(listing.lookup(arch), self.config.mutate_k)
        return listing.codes[near[int(rng.integers(len(near)))]]

    def neighbours(self, arch: str) -> list[str]:
        listing = self.listing()
        return [listing.codes[j] for j in listing.nearest(listing.lookup(arch), self.config.neighbours_k)]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        """Uniform crossover of the two embeddings, snapped to the nearest listed network."""
        listing = self.listing()
        return listing.codes[listing.crossover(listing.lookup(a), listing.lookup(b), rng)]

    # ------------------------------------------------------------------ models and descriptors
    def tasks(self) -> dict[str, Task]:
        return dict(TASKS)

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel:
        from .model import MRNetwork  # torch is imported only when a model is needed

        net = MRNetwork(A.parse(arch), self._task(dataset).num_classes, bn=bn)
        return BuiltModel(
            module=net,
            stem=net.features.stem,
            cells=tuple(net.features.cells),
            head=net.head,
            features=net.features,
        )

    def topology(self, arch: str, dataset: str) -> Topology:
        from .topology import topology_of

        return topology_of(A.parse(arch), self._task(dataset).input_shape[1])

    def cost(self, arch: str, dataset: str) -> Cost:
        """The built model's params and MACs on the task's input (the harness's convention); the
        benchmark's own ``params_M``/``flops_G`` are ``cost.benchmark_cost``."""
        from .cost import cost_at

        task = self._task(dataset)
        return cost_at(A.parse(arch), task.num_classes, task.input_shape[1])

    # ------------------------------------------------------------------ ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        from .oracle_table import NBMRTable

        return {NBMRTable.name: NBMRTable}

    @staticmethod
    def _task(name: str) -> Task:
        task_spec(name)
        return TASKS[name]
