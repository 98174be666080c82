"""``TNB101MicroSpace`` and ``TNB101MacroSpace``, and their table oracle.

Both spaces have the seven TransNAS-Bench-101 tasks as datasets (``tasks.py``); a model is the
benchmark's encoder with the task's head (``model.py``), run on the batch's images (CIFAR-10,
32×32, by default). The oracle ``tnb101`` reads the published validation table
(``data/tnb101/tnb101_{micro,macro}_val.csv``: one row per architecture and task, column
``val_accuracy`` holding each task's metric, all larger-is-better).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Optional, Sequence

import numpy as np
from pydantic import Field

from nas_harness.api import (
    BlockTopology,
    Cost,
    DatasetInfo,
    HarnessError,
    OpInfo,
    Oracle,
    OracleInfo,
    PluginConfig,
    Space,
    Topology,
    shared_path,
)

from . import arch as A
from .cost import network_cost
from .tasks import INPUT_SHAPE, TASKS

if TYPE_CHECKING:
    import torch

METRIC_NAMES = {"top1": "top-1 accuracy", "pixel_acc": "pixel accuracy", "ssim": "SSIM", "neg_loss": "negative loss"}


def _task(name: str, space: str):
    if name not in TASKS:
        raise HarnessError(f"space {space!r} has no task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]


class _TNB101Space(Space):
    """What the two spaces share: tasks, models, cost, topology; codes differ."""

    version = "1.0"

    def datasets(self) -> dict[str, DatasetInfo]:
        return {t.name: DatasetInfo(t.name, t.n_out, INPUT_SHAPE) for t in TASKS.values()}

    # subclasses: _skeleton_micro(arch) -> (skeleton digits, micro code or None)
    def _parts(self, arch: str) -> tuple[str, A.MicroCode | None]:
        raise NotImplementedError

    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> "torch.nn.Module":
        from .model import build_network

        spec = _task(dataset, self.name)
        skeleton, micro = self._parts(arch)
        return build_network(skeleton, micro, spec.name, spec.n_out, INPUT_SHAPE[1], bn=bn)

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
        blocks = [BlockTopology(ops=(), c_in=3, c_out=A.BASE, hw_in=(side, side), hw_out=(hw, hw), searchable=False, name="stem")]
        for k, (c_in, c_out, stride) in enumerate(layer_plan(skeleton)):
            hw_out = (hw + 1) // 2 if stride == 2 else hw
            ops = self._block_ops(micro, stride, c_in != c_out)
            blocks.append(
                BlockTopology(ops=ops, c_in=c_in, c_out=c_out, hw_in=(hw, hw), hw_out=(hw_out, hw_out),
                              searchable=True, name=f"layer{k // 2}.block{k % 2}")
            )
            hw = hw_out
        c = layer_plan(skeleton)[-1][1]
        h = feature_side(side, skeleton)
        out_hw = (1, 1) if spec.output in ("classes", "regression") else (INPUT_SHAPE[1], INPUT_SHAPE[1])
        blocks.append(BlockTopology(ops=(), c_in=c, c_out=spec.n_out, hw_in=(h, h), hw_out=out_hw, searchable=False, name=f"head.{spec.name}"))
        return Topology(tuple(blocks))

    @staticmethod
    def _block_ops(micro: A.MicroCode | None, stride: int, widen: bool) -> tuple[tuple[OpInfo, int], ...]:
        if micro is None:  # basic block: two 3×3 convs (+ a 1×1 shortcut conv when the shape changes)
            ops = [(OpInfo("conv_3x3", "conv", (3, 3), (stride, stride)), 1), (OpInfo("conv_3x3", "conv", (3, 3), (1, 1)), 1)]
            ops.append((OpInfo("shortcut_1x1", "conv", (1, 1), (stride, stride)), 1) if stride != 1 or widen
                       else (OpInfo("skip_connect", "skip"), 1))
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
            raise HarnessError(f"cannot sample {n!r} distinct TNB101 micro cells: the space has {A.MICRO_SIZE}")
        return [self.arch(int(i)) for i in rng.choice(A.MICRO_SIZE, size=int(n), replace=False)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        nbrs = A.micro_neighbours(A.parse_micro(arch))
        return A.micro_to_string(nbrs[int(rng.integers(len(nbrs)))])

    def neighbours(self, arch: str) -> list[str]:
        return [A.micro_to_string(c) for c in A.micro_neighbours(A.parse_micro(arch))]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        ca, cb = A.parse_micro(a), A.parse_micro(b)
        return A.micro_to_string(tuple(x if rng.random() < 0.5 else y for x, y in zip(ca, cb)))

    def choices(self):
        return tuple((f"edge{i}->{j}", A.MICRO_OPS) for i, j in A.EDGES)

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
            raise HarnessError(f"cannot sample {n!r} distinct TNB101 macro skeletons: the space has {A.MACRO_SIZE}")
        return [self.arch(int(i)) for i in rng.choice(A.MACRO_SIZE, size=int(n), replace=False)]

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        nbrs = A.macro_neighbours(A.parse_macro(arch))
        return A.macro_to_string(nbrs[int(rng.integers(len(nbrs)))])

    def neighbours(self, arch: str) -> list[str]:
        return [A.macro_to_string(c) for c in A.macro_neighbours(A.parse_macro(arch))]

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        return A.macro_to_string(A.macro_crossover(A.parse_macro(a), A.parse_macro(b), rng))

    def repair(self, picks, rng: np.random.Generator) -> tuple[int, ...]:
        return A.macro_repair(picks, rng)

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return A.macro_to_choices(A.parse_macro(arch))

    def from_choices(self, picks) -> str:
        return A.macro_to_string(A.macro_from_choices(picks))

    def _parts(self, arch: str):
        return A.parse_macro(arch), None


class TNB101Oracle(Oracle):
    """The published validation table: each task's metric in ``val_accuracy``, per (arch, task)."""

    name = "tnb101"
    table: ClassVar[str] = ""

    @staticmethod
    def decode(text: str) -> str:
        raise NotImplementedError

    class Config(PluginConfig):
        path: Optional[str] = Field(None, description="the CSV; default the published table under the shared data dir")

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.path = shared_path(self.config.path or self.table)
        self._values: dict[str, dict[str, float]] | None = None

    def describe(self, dataset: str) -> OracleInfo:
        spec = _task(dataset, "tnb101")
        self._load()
        return OracleInfo(
            oracle=self.name,
            dataset=dataset,
            metric=METRIC_NAMES[spec.metric],
            split="valid",
            epochs=None,
            seed_aggregation="as published",
            higher_is_better=True,
            source=f"TransNAS-Bench-101 via NAS-Bench-Suite-Zero — file {self.path} rows dataset={dataset!r}, column 'val_accuracy'",
        )

    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        _task(dataset, "tnb101")
        table = self._load().get(dataset, {})
        return np.array([table.get(type(self).decode(a), np.nan) for a in archs], dtype=float)

    def coverage(self, dataset: str | None = None) -> list[str]:
        table = self._load()
        return list(table.get(dataset, {})) if dataset else list(next(iter(table.values())))

    def _load(self) -> dict[str, dict[str, float]]:
        if self._values is not None:
            return self._values
        import pandas as pd

        if not self.path.is_file():
            raise HarnessError(f"oracle 'tnb101': file not found: {self.path} (set NASH_SHARED_DIR or path=)")
        frame = pd.read_csv(self.path, usecols=["arch_str", "dataset", "val_accuracy"])
        values: dict[str, dict[str, float]] = {}
        for task, rows in frame.groupby("dataset", sort=False):
            values[str(task)] = {type(self).decode(a): float(v) for a, v in zip(rows.arch_str, rows.val_accuracy)}
        self._values = values
        return values


class TNB101MicroOracle(TNB101Oracle):
    table = "data/tnb101/tnb101_micro_val.csv"

    @staticmethod
    def decode(text: str) -> str:
        return A.micro_to_string(A.parse_micro(text))


class TNB101MacroOracle(TNB101Oracle):
    table = "data/tnb101/tnb101_macro_val.csv"

    @staticmethod
    def decode(text: str) -> str:
        return A.macro_to_string(A.parse_macro(text))
