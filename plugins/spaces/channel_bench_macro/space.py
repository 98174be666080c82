"""``ChannelSpace``: Channel-Bench-Macro (16,384 width configs per backbone, CIFAR-10)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import Field

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
        description="CIFAR-10 test accuracy as Channel-Bench-Macro trained each network (3 runs)",
    ),
}


class ChannelSpace(Space):
    name = "channel_bench_macro"
    version = "1.0"
    summary = (
        "Channel-Bench-Macro: 7 widths x {0.25, 0.5, 0.75, 1.0} of a ResNet or MobileNet backbone "
        "(Config.backbone; 16,384 archs each), index = the data files' (lexicographic) order"
    )

    class Config(PluginConfig):
        backbone: Literal["resnet", "mobilenet"] = Field(
            "resnet", description="which backbone's widths are searched"
        )

    def __init__(self, config: PluginConfig | None = None):
        super().__init__(config)
        # The two backbones share arch strings: the backbone is part of the instance's version
        # (and so of the run's signature and any store keyed by space name and version).
        self.version = f"{type(self).version}+{self.config.backbone}"

    # ------------------------------------------------------------------ architectures
    def parse(self, text: str) -> str:
        return A.to_string(A.parse_code(text))

    def size(self) -> int:
        return A.SIZE

    def arch(self, index: int) -> str:
        return A.to_string(A.code_at(index))

    def index(self, arch: str) -> int:
        return A.index_of(A.parse_code(arch))

    # ------------------------------------------------------------------ moves
    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise HarnessError(f"cannot sample {n!r} Channel-Bench-Macro architectures: give a count")
        return [A.to_string(c) for c in A.sample_codes(int(n), rng)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        return A.to_string(A.mutate_code(A.parse_code(arch), rng))

    def neighbours(self, arch: str) -> list[str]:
        return [A.to_string(c) for c in A.neighbour_codes(A.parse_code(arch))]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        return A.to_string(A.crossover_codes(A.parse_code(a), A.parse_code(b), rng))

    def decisions(self) -> tuple[Decision, ...]:
        return tuple(Decision(f"width{k + 1}", A.RATIOS, ordered=True) for k in range(A.N_WIDTHS))

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return A.parse_code(arch)

    def from_choices(self, picks: Sequence[int]) -> str:
        code = tuple(int(p) for p in picks)
        if len(code) != A.N_WIDTHS or not all(0 <= p < len(A.RATIOS) for p in code):
            raise ArchError(
                f"Channel-Bench-Macro choices are {A.N_WIDTHS} ratio indices in 0..3, got {list(picks)!r}"
            )
        return A.to_string(code)

    # ------------------------------------------------------------------ models and descriptors
    def tasks(self) -> dict[str, Task]:
        return dict(TASKS)

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel:
        from .model import ChannelNetwork

        net = ChannelNetwork(self.config.backbone, A.parse_code(arch), self.task(dataset).num_classes, bn=bn)
        f = net.features
        return BuiltModel(net, stem=f.stem, cells=tuple(f.blocks), head=net.head, features=f)

    def topology(self, arch: str, dataset: str) -> Topology:
        from .topology import topology_of

        task = self.task(dataset)
        return topology_of(self.config.backbone, A.parse_code(arch), task.input_shape[1], task.num_classes)

    def cost(self, arch: str, dataset: str) -> Cost:
        from .skeleton import cost

        task = self.task(dataset)
        params, flops = cost(self.config.backbone, A.parse_code(arch), task.input_shape[1], task.num_classes)
        return Cost(params=params, flops=flops)

    # ------------------------------------------------------------------ ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        from .oracle import ChannelTableOracle

        return {ChannelTableOracle.name: ChannelTableOracle}
