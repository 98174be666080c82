"""``TNB101MicroSpace`` and ``TNB101MacroSpace``, and their table oracle.

Both spaces have the seven TransNAS-Bench-101 tasks as datasets (``tasks.py``); a model is the
benchmark's encoder with the task's head (``model.py``), run on the batch's images (CIFAR-10,
32×32, by default). The oracle ``tnb101`` reads the published validation table
(``data/tnb101/tnb101_{micro,macro}_val.csv``: one row per architecture and task, column
``val_accuracy`` holding each task's metric, all larger-is-better).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

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
    OpInfo,
    Oracle,
    OracleInfo,
    PluginConfig,
    Space,
    Task,
    Topology,
)
from nas_harness.api.tables import TableConfig, TableMetric, TableOracle

from . import arch as A
from .cost import network_cost
from .tasks import INPUT_SHAPE, METRICS, TASKS, as_task


def _task(name: str, space: str):
    if name not in TASKS:
        raise HarnessError(f"space {space!r} has no task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]


class _TNB101Space(Space):
    """What the two spaces share: tasks, models, cost, topology; codes differ."""

    version = "1.0"

    def tasks(self) -> dict[str, Task]:
        return {name: as_task(spec) for name, spec in TASKS.items()}

    # subclasses: _skeleton_micro(arch) -> (skeleton digits, micro code or None)
    def _parts(self, arch: str) -> tuple[str, A.MicroCode | None]:
        raise NotImplementedError

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel:
        """The encoder with the task's head. ``features`` is the encoder (its output is what the
        head reads), except for jigsaw, whose head reads nine tile encodings side by side: no
        single module yields that map, so feature-map proxies are not applicable there."""
        from .model import build_network

        spec = _task(dataset, self.name)
        skeleton, micro = self._parts(arch)
        net = build_network(skeleton, micro, spec.name, spec.n_out, INPUT_SHAPE[1], bn=bn)
        features = None if net.jigsaw else net.features
        return BuiltModel(
            net, stem=net.features.stem, cells=tuple(net.features.blocks), head=net.head, features=features
        )

    def cost(self, arch: str, dataset: str) -> Cost:
        spec = _task(dataset, self.name)
        skeleton, micro = self._parts(arch)
        params, flops = network_cost(skeleton, micro, spec.name, spec.n_out, INPUT_SHAPE[1])
        return Cost(params=params, flops=flops)

    def topology(self, arch: str, dataset: str) -> Topology:
        """Stem, one block per encoder block (its ops with counts), the head as a fixed block.

        Jigsaw's encoder sees ⌊H/3⌋-pixel tiles, so its resolutions are the tiles'.
        """
        from .model import feature_side, layer_plan

        spec = _task(dataset, self.name)
        skeleton, micro = self._parts(arch)
        side = INPUT_SHAPE[1] // 3 if spec.name == "jigsaw" else INPUT_SHAPE[1]
        hw = (side + 1) // 2
        hw = (hw + 1) // 2
        blocks = [
            BlockTopology(
                ops=(),
                c_in=3,
                c_out=A.BASE,
                hw_in=(side, side),
                hw_out=(hw, hw),
                searchable=False,
                name="stem",
            )
        ]
        for k, (c_in, c_out, stride) in enumerate(layer_plan(skeleton)):
            hw_out = (hw + 1) // 2 if stride == 2 else hw
            ops = self._block_ops(micro, stride, c_in != c_out)
            blocks.append(
                BlockTopology(
                    ops=ops,
                    c_in=c_in,
                    c_out=c_out,
                    hw_in=(hw, hw),
                    hw_out=(hw_out, hw_out),
                    searchable=True,
                    name=f"layer{k // 2}.block{k % 2}",
                )
            )
            hw = hw_out
        c = layer_plan(skeleton)[-1][1]
        h = feature_side(side, skeleton)
        out_hw = (1, 1) if spec.output in ("classes", "regression") else (INPUT_SHAPE[1], INPUT_SHAPE[1])
        blocks.append(
            BlockTopology(
                ops=(),
                c_in=c,
                c_out=spec.n_out,
                hw_in=(h, h),
                hw_out=out_hw,
                searchable=False,
                name=f"head.{spec.name}",
            )
        )
        return Topology(tuple(blocks), graph=_graph(skeleton, micro, spec.name))

    @staticmethod
    def _block_ops(micro: A.MicroCode | None, stride: int, widen: bool) -> tuple[tuple[OpInfo, int], ...]:
        if micro is None:  # basic block: two 3×3 convs (+ a 1×1 shortcut conv when the shape changes)
            ops = [
                (OpInfo("conv_3x3", "conv", (3, 3), (stride, stride)), 1),
                (OpInfo("conv_3x3", "conv", (3, 3), (1, 1)), 1),
            ]
            ops.append(
                (OpInfo("shortcut_1x1", "conv", (1, 1), (stride, stride)), 1)
                if stride != 1 or widen
                else (OpInfo("skip_connect", "skip"), 1)
            )
            return tuple(ops)
        counts: dict[OpInfo, int] = {}
        for op, (i, _) in zip(micro, A.EDGES):
            st = stride if i == 0 else 1
            changes = i == 0 and (stride != 1 or widen)
            for cand in range(len(A.MICRO_OPS)):
                info = _micro_op_info(cand, st, changes)
                counts[info] = counts.get(info, 0) + (cand == op)
        return tuple(counts.items())

    def oracles(self) -> dict[str, type[Oracle]]:
        cls = TNB101MicroOracle if self.name == "tnb101_micro" else TNB101MacroOracle
        return {cls.name: cls}


def _graph(skeleton: str, micro: A.MicroCode | None, task: str) -> Graph:
    """The encoder's operation graph with the head as one edge (jigsaw: one tile's encoder).

    Nodes: ``input``, ``stem``, then per block its nodes (micro: the cell's nodes 1–3, node 0
    being the previous block's output; macro: the basic block's middle node and output), then
    ``output``. Edge ``block`` indices follow ``topology().blocks`` (0 = stem, 1.. = blocks,
    last = head); ``none`` edges of a micro cell are left out (they carry nothing).
    """
    from .model import layer_plan

    nodes: list[str] = ["input", "stem"]
    edges: list[Edge] = [Edge(0, 1, OpInfo("stem", "conv", (3, 3), (2, 2), channels=A.BASE), 0)]
    current = 1
    for b, (c_in, c_out, stride) in enumerate(layer_plan(skeleton), start=1):
        changes = stride != 1 or c_in != c_out
        if micro is None:
            mid, out = len(nodes), len(nodes) + 1
            nodes += ["conv_a", "block_output"]
            edges.append(
                Edge(current, mid, OpInfo("conv_3x3", "conv", (3, 3), (stride, stride), channels=c_out), b)
            )
            edges.append(Edge(mid, out, OpInfo("conv_3x3", "conv", (3, 3), channels=c_out), b))
            short = (
                OpInfo("shortcut_1x1", "conv", (1, 1), (stride, stride), channels=c_out)
                if changes
                else OpInfo("skip_connect", "skip", channels=c_out)
            )
            edges.append(Edge(current, out, short, b))
            current = out
            continue
        ids = [current] + list(range(len(nodes), len(nodes) + A.N_NODES - 1))
        nodes += ["sum"] * (A.N_NODES - 2) + ["cell_output"]
        for op, (i, j) in zip(micro, A.EDGES):
            if op == 0:
                continue
            info = _micro_op_info(op, stride if i == 0 else 1, i == 0 and changes)
            edges.append(Edge(ids[i], ids[j], info, b))
        current = ids[-1]
    nodes.append("output")
    kind = "linear" if task in ("class_scene", "class_object", "jigsaw", "room_layout") else "other"
    edges.append(Edge(current, len(nodes) - 1, OpInfo(f"head.{task}", kind), len(layer_plan(skeleton)) + 1))
    return Graph(tuple(nodes), tuple(edges))


def _micro_op_info(op: int, stride: int, changes: bool) -> OpInfo:
    s = (stride, stride)
    if op == 0:
        return OpInfo("none", "none")
    if op == 1:
        return OpInfo("skip_connect", "skip") if not changes else OpInfo("skip_reduce_1x1", "conv", (1, 1), s)
    k = 1 if op == 2 else 3
    return OpInfo(f"conv_{k}x{k}", "conv", (k, k), s)


class TNB101MicroSpace(_TNB101Space):
    name = "tnb101_micro"
    summary = (
        "TransNAS-Bench-101 micro: 4,096 NB201-like cells (4 ops per edge) on the benchmark's 64-41414 skeleton; "
        "7 tasks (heads decode to the input size; CIFAR-10 32x32 inputs by default); index = published table order"
    )

    class Config(PluginConfig):
        pass

    def parse(self, text: str) -> str:
        return A.micro_to_string(A.parse_micro(text))

    def size(self) -> int:
        return A.MICRO_SIZE

    def arch(self, index: int) -> str:
        return A.micro_to_string(A.micro_at(index))

    def index(self, arch: str) -> int:
        return A.micro_index(A.parse_micro(arch))

    def iso_key(self, arch: str) -> str:
        return A.micro_iso_key(A.parse_micro(arch))

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= A.MICRO_SIZE:
            raise HarnessError(
                f"cannot sample {n!r} distinct TNB101 micro cells: the space has {A.MICRO_SIZE}"
            )
        return [self.arch(int(i)) for i in rng.choice(A.MICRO_SIZE, size=int(n), replace=False)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        nbrs = A.micro_neighbours(A.parse_micro(arch))
        return A.micro_to_string(nbrs[int(rng.integers(len(nbrs)))])

    def neighbours(self, arch: str) -> list[str]:
        return [A.micro_to_string(c) for c in A.micro_neighbours(A.parse_micro(arch))]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        ca, cb = A.parse_micro(a), A.parse_micro(b)
        return A.micro_to_string(tuple(x if rng.random() < 0.5 else y for x, y in zip(ca, cb)))

    def decisions(self) -> tuple[Decision, ...]:
        return tuple(Decision(f"edge{i}->{j}", A.MICRO_OPS) for i, j in A.EDGES)

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return A.parse_micro(arch)

    def from_choices(self, picks) -> str:
        return A.micro_to_string(A.parse_micro(tuple(picks)))

    def _parts(self, arch: str):
        return A.MICRO_SKELETON, A.parse_micro(arch)


class TNB101MacroSpace(_TNB101Space):
    name = "tnb101_macro"
    summary = (
        "TransNAS-Bench-101 macro: 3,256 skeletons (4-6 layers of two ResNet basic blocks; 1-4 down-samplings, "
        "1-3 channel doublings); 7 tasks as in tnb101_micro; index = published table order"
    )

    class Config(PluginConfig):
        pass

    def parse(self, text: str) -> str:
        return A.macro_to_string(A.parse_macro(text))

    def size(self) -> int:
        return A.MACRO_SIZE

    def arch(self, index: int) -> str:
        return A.macro_to_string(A.macro_at(index))

    def index(self, arch: str) -> int:
        return A.macro_index(A.parse_macro(arch))

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= A.MACRO_SIZE:
            raise HarnessError(
                f"cannot sample {n!r} distinct TNB101 macro skeletons: the space has {A.MACRO_SIZE}"
            )
        return [self.arch(int(i)) for i in rng.choice(A.MACRO_SIZE, size=int(n), replace=False)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        nbrs = A.macro_neighbours(A.parse_macro(arch))
        return A.macro_to_string(nbrs[int(rng.integers(len(nbrs)))])

    def neighbours(self, arch: str) -> list[str]:
        return [A.macro_to_string(c) for c in A.macro_neighbours(A.parse_macro(arch))]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        return A.macro_to_string(A.macro_crossover(A.parse_macro(a), A.parse_macro(b), rng))

    def decisions(self) -> tuple[Decision, ...]:
        """Six layer slots, each ``-`` (no layer; trailing slots only) or a layer digit; not every
        vector is a valid skeleton (``repair``)."""
        return tuple(Decision(f"layer{k}", A.MACRO_SLOT_OPTIONS) for k in range(max(A.MACRO_LAYERS)))

    def repair(self, picks, rng: np.random.Generator) -> tuple[int, ...]:
        return A.macro_repair(picks, rng)

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return A.macro_to_choices(A.parse_macro(arch))

    def from_choices(self, picks) -> str:
        return A.macro_to_string(A.macro_from_choices(picks))

    def _parts(self, arch: str):
        return A.parse_macro(arch), None


def _metrics() -> dict[str, TableMetric]:
    out = {}
    for name, spec in TASKS.items():
        metric, unit, higher, scale = METRICS[spec.metric]
        out[name] = TableMetric(
            column=name,
            higher_is_better=higher,
            metric=metric,
            unit=unit,
            split="valid",
            epochs=None,
            aggregation="as published (one value per architecture)",
            scale=scale,
        )
    return out


class TNB101Config(TableConfig):
    path: str | None = Field(
        None,
        description="the long-format CSV (arch_str, dataset, val_accuracy); "
        "default: the published table of the space under the shared data folder",
    )
    arch_column: str = "arch_str"
    metrics: dict[str, TableMetric] = Field(default_factory=_metrics)


class TNB101Oracle(TableOracle):
    """The published validation table: one row per (arch, task), the task's metric in
    ``val_accuracy``; read as one column per task. Room layout's value is the negative loss in
    the file and the loss here (scale -1, lower is better)."""

    name = "tnb101"
    Config = TNB101Config
    table: str = ""
    summary = (
        "TransNAS-Bench-101 validation metric of every architecture on its 7 tasks (via NAS-Bench-Suite-Zero)"
    )

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        config = config if config is not None else self.Config()
        if config.path is None:
            config = config.model_copy(update={"path": self.table})
        super().__init__(config, space=space)

    def describe(self, task: str) -> OracleInfo:
        info = super().describe(task)
        return replace(
            info,
            source=f"TransNAS-Bench-101 via NAS-Bench-Suite-Zero — file {self.path} rows "
            f"dataset={task!r}, column 'val_accuracy'",
        )

    def row_arch(self, row: Mapping[str, Any]) -> str:
        if self.space is None:
            raise HarnessError(
                f"oracle {self.name!r} was built without its space, so it cannot parse architectures"
            )
        return self.space.parse(str(row["arch_str"]).strip())

    def _read_frame(self):
        frame = super()._read_frame()
        missing = [c for c in ("arch_str", "dataset", "val_accuracy") if c not in frame.columns]
        if missing:
            raise HarnessError(
                f"oracle 'tnb101': {self.path} has no column {', '.join(map(repr, missing))}; "
                f"columns: {', '.join(map(str, frame.columns))}"
            )
        dup = frame.duplicated(["arch_str", "dataset"])
        if dup.any():
            row = int(np.flatnonzero(dup.to_numpy())[0])
            raise HarnessError(
                f"oracle 'tnb101': {self.path} line {row + 2}: architecture "
                f"{frame.arch_str.iloc[row]!r} appears twice for task {frame.dataset.iloc[row]!r}"
            )
        wide = frame.pivot(index="arch_str", columns="dataset", values="val_accuracy")
        return wide.reset_index().rename_axis(columns=None)


class TNB101MicroOracle(TNB101Oracle):
    table = "data/tnb101/tnb101_micro_val.csv"


class TNB101MacroOracle(TNB101Oracle):
    table = "data/tnb101/tnb101_macro_val.csv"
