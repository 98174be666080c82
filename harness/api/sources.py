"""Data sources: where a run's input batch comes from, chosen independently of the task.

The images a data-dependent proxy sees need not be the task's own: Eproxy scores every
benchmark with one batch of CIFAR-10 images, and a user may score ImageNet16-120 targets
with CIFAR-10 inputs. A ``DataSource`` reads (or makes) one batch; the harness then checks it
against the task (shape, labels), resizes it when asked, and records what was used. Sources
are plugins (hook ``nas_harness_data_sources``, entry-point group
``nas_harness.data_sources``); the built-in ones (cifar10, cifar100, imagenet16, npz, noise)
are registered the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from .config import PluginConfig
from .tasks import Task

DATA_DIR_ENV = "NASH_DATA_DIR"


def data_family(task: Task) -> str | None:
    """The data a task's own images come from: ``task.data``, else guessed from its name
    (``cifar10``, ``cifar10-valid``, ``cifar100``, ``ImageNet16-*``), else None."""
    if task.data:
        return task.data
    low = task.name.lower()
    if low in ("cifar10", "cifar10-valid", "cifar-10"):
        return "cifar10"
    if low in ("cifar100", "cifar-100"):
        return "cifar100"
    if low.startswith("imagenet16"):
        return "imagenet16"
    return None


@dataclass(frozen=True)
class BatchRequest:
    """What the harness asks a source for.

    ``task`` is the task the models are built for (sources that make data, like noise, take
    its shape and classes from it). ``path`` is the file or folder found by ``locate`` (None
    when none was given). ``classes``: when set, keep only images whose label is below it,
    before choosing (``input.labels: filter``). The batch is ``batch_size`` items chosen with
    ``seed``.
    """

    task: Task
    path: Path | None
    split: str
    batch_size: int
    seed: int
    classes: int | None = None


@dataclass(frozen=True)
class SourceBatch:
    """One batch as a source delivers it.

    ``inputs``: float32 N×C×H×W, normalized as the source sees fit (say how in ``note`` when
    it is not the usual statistics). ``labels``: integer class labels, or None. ``targets``:
    non-class targets (a regression vector or dense map per item) when the source has them.
    ``label`` is short and stable (no absolute paths) and names everything the images depend
    on but the batch size and seed, e.g. ``cifar10[train]``; it goes into store keys and
    signatures. ``where`` may name paths (results only). ``indices`` index the split (None
    when the data is generated).
    """

    inputs: np.ndarray
    labels: np.ndarray | None
    label: str
    where: str
    indices: tuple[int, ...] | None = None
    targets: np.ndarray | None = None
    note: str = ""


class DataSource(ABC):
    """A reader (or generator) of input batches.

    Subclasses set ``name`` (the value of ``input.kind``), ``version``, ``summary``,
    ``expects`` (what its data looks like on disk, for error messages; "" when it reads no
    files, like noise)
    and optionally ``Config`` (options given as ``input.options``), and implement ``load``.
    ``locate`` says whether a path holds this source's data, so ``input.kind: auto`` can find
    it in ``input.path`` or ``$NASH_DATA_DIR``. Bad data is a ``HarnessError`` naming the file.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    summary: ClassVar[str] = ""
    expects: ClassVar[str] = ""
    Config: ClassVar[type[PluginConfig]] = PluginConfig

    def __init__(self, config: PluginConfig | None = None):
        self.config = config if config is not None else self.Config()

    def locate(self, path: Path) -> Path | None:
        """The file or folder at or under ``path`` this source reads, or None."""
        return None

    @abstractmethod
    def load(self, request: BatchRequest) -> SourceBatch: ...


def choose(n: int, batch_size: int, seed: int, where: str) -> np.ndarray:
    """The seeded choice every built-in reader uses: ``default_rng(seed).choice(n, bs, replace=False)``."""
    from .errors import HarnessError

    if batch_size > n:
        raise HarnessError(
            f"{where}: batch_size {batch_size} is larger than the {n} images there; "
            f"use --batch-size {n} or less"
        )
    return np.random.default_rng(seed).choice(n, batch_size, replace=False)


__all__ = ["DATA_DIR_ENV", "BatchRequest", "DataSource", "SourceBatch", "choose", "data_family"]
