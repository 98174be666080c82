"""The DAG space plugin: moves, decision vector, two tasks, models, topology, cost and oracle."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nas_harness.api import (
    ArchError,
    BlockTopology,
    Cost,
    Decision,
    Edge,
    Graph,
    HarnessError,
    Metric,
    OpInfo,
    PluginConfig,
    Space,
    Task,
    Topology,
)
from nas_harness.api.tables import TableConfig, TableMetric, TableOracle

from . import arch as A
from .model import CELLS, CHANNELS, build

OP_INFO = {
    "conv3x3": OpInfo("conv3x3", "conv", kernel=(3, 3), channels=CHANNELS),
    "conv1x1": OpInfo("conv1x1", "conv", kernel=(1, 1), channels=CHANNELS),
    "maxpool": OpInfo("maxpool", "pool", kernel=(3, 3)),
}
SKIP = OpInfo("sum", "skip")
TASKS = {
    "classify": Task(
        "classify",
        4,
        (3, 8, 8),
        "classes",
        "cross_entropy",
        (Metric("accuracy", True, "%", "test", 10),),
        description="4 classes of 8×8 images",
    ),
    "regress": Task(
        "regress",
        3,
        (3, 8, 8),
        "regression",
        "mse",
        (Metric("rmse", False, "", "test", 10),),
        description="a 3-vector per image",
    ),
}


class DagTable(TableOracle):
    """The space's benchmark table: column ``arch``, ``accuracy`` (classify), ``rmse`` (regress)."""

    name = "table"

    class Config(TableConfig):
        metrics: dict[str, TableMetric] = {
            "classify": TableMetric(
                column="accuracy", higher_is_better=True, unit="%", split="test", epochs=10
            ),
            "regress": TableMetric(column="rmse", higher_is_better=False, split="test", epochs=10),
        }


class DagSpace(Space):
    name = "dag"
    version = "1"
    summary = "test-only: a 5-node cell DAG (edge bits + one op per node), two tasks, a partial table"

    class Config(PluginConfig):
        pass

    def parse(self, text: str) -> str:
        return A.parse(text)

    def iso_key(self, arch: str) -> str:
        return A.iso_key(self.parse(arch))

    # --- moves: not enumerable (size None); sampling draws valid decision vectors uniformly
    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        found: dict[str, None] = {}
        for _ in range(1000 * max(n, 1)):
            if len(found) >= n:
                break
            picks = [int(rng.integers(len(d.options))) for d in self.decisions()]
            try:
                found.setdefault(A.from_picks(picks))
            except ArchError:
                continue
        if len(found) < n:
            raise HarnessError(f"space 'dag': could not draw {n} distinct architectures (found {len(found)})")
        return list(found)

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        options = self.neighbours(arch)
        return options[int(rng.integers(len(options)))]

    def neighbours(self, arch: str) -> list[str]:
        """Every valid architecture one decision away (an edge flipped or a live node's op changed)."""
        picks = A.to_picks(self.parse(arch))
        out: dict[str, None] = {}
        for d, decision in enumerate(self.decisions()):
            for o in range(len(decision.options)):
                if o != picks[d]:
                    try:
                        child = A.from_picks([*picks[:d], o, *picks[d + 1 :]])
                    except ArchError:
                        continue
                    if child != arch:
                        out.setdefault(child)
        return list(out)

    def decisions(self) -> tuple[Decision, ...]:
        edges = tuple(Decision(f"edge{i}->{j}", ("0", "1")) for i, j in A.EDGES)
        return edges + tuple(Decision(f"op{n}", A.OPS) for n in A.INNER)

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return A.to_picks(self.parse(arch))

    def from_choices(self, picks: Sequence[int]) -> str:
        return A.from_picks(picks)

    def repair(self, picks: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
        return A.repair(picks, rng)

    # crossover: the contract's default (uniform over the decision vector, then repair)

    # --- tasks, models, descriptors
    def tasks(self) -> dict[str, Task]:
        return dict(TASKS)

    def build_model(self, arch: str, dataset: str, *, bn: bool = True):
        task = self.task(dataset)
        return build(self.parse(arch), task.input_shape[0], task.num_classes, bn)

    def topology(self, arch: str, dataset: str) -> Topology:
        task = self.task(dataset)
        bits, ops = A.split(self.parse(arch))
        hw = task.input_shape[1:]
        counts = {op: ops.count(op) for op in A.OPS}
        cell_ops = tuple((OP_INFO[op], counts[op]) for op in A.OPS)
        blocks = [
            BlockTopology(
                ((OpInfo("stem conv3x3", "conv", kernel=(3, 3), channels=CHANNELS), 1),),
                task.input_shape[0],
                CHANNELS,
                hw,
                hw,
                searchable=False,
                name="stem",
            )
        ]
        blocks += [BlockTopology(cell_ops, CHANNELS, CHANNELS, hw, hw, name=f"cell{c}") for c in range(CELLS)]
        blocks.append(
            BlockTopology(
                ((OpInfo("pool+linear", "linear"), 1),),
                CHANNELS,
                task.num_classes,
                hw,
                (1, 1),
                searchable=False,
                name="head",
            )
        )
        # the graph: per cell its nodes; an edge into an op node carries that node's op, into the output a sum
        nodes: list[str] = []
        edges: list[Edge] = []
        for c in range(CELLS):
            base = c * A.N
            nodes += ["input", *(op if op != A.PRUNED else "none" for op in ops), "output"]
            for (i, j), b in zip(A.EDGES, bits):
                if b:
                    op = SKIP if j == A.N - 1 else OP_INFO[ops[j - 1]]
                    edges.append(Edge(base + i, base + j, op, block=1 + c))
        return Topology(tuple(blocks), Graph(tuple(nodes), tuple(edges)))

    def cost(self, arch: str, dataset: str) -> Cost:
        task = self.task(dataset)
        bits, ops = A.split(self.parse(arch))
        hw = task.input_shape[1] * task.input_shape[2]
        c, cin = CHANNELS, task.input_shape[0]
        params = 9 * cin * c + 2 * c + c * task.num_classes + task.num_classes
        flops = 9 * cin * c * hw + c * task.num_classes
        for op in ops:
            k = {"conv3x3": 9, "conv1x1": 1}.get(op, 0)
            params += CELLS * (k * c * c + (2 * c if k else 0))
            flops += CELLS * k * c * c * hw
        return Cost(params=params, flops=flops)

    def oracles(self) -> dict:
        return {"table": DagTable}
