"""Tasks: what a space's networks are trained for, and how ground truth on them is measured.

A space declares its tasks (``Space.tasks()``). The engine builds models for a task, proxies
check that they can handle its output kind, and every protocol orients ground truth by each
metric's direction, so an error or loss metric never flips a sign silently.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a network outputs for a task; proxies declare the kinds they support (``Proxy.outputs``).
OUTPUT_KINDS = ("classes", "dense", "regression", "reconstruction")


@dataclass(frozen=True)
class Metric:
    """One ground-truth metric: its name, direction and unit, and where it was measured."""

    name: str
    higher_is_better: bool = True
    unit: str = ""
    split: str = ""
    epochs: int | None = None


@dataclass(frozen=True)
class Task:
    """One task of a space.

    ``num_classes`` is the class count for ``classes``, the output channels for ``dense`` and
    ``reconstruction``, the vector length for ``regression``. ``loss`` names the loss a
    data-dependent proxy uses for it (``cross_entropy``, ``mse``, ``l1``, ``bce``). ``data`` is
    the input family the task's own images come from (``cifar10``, ``cifar100``, ``imagenet16``)
    or None; a run's input batch may come from elsewhere (``input.kind``/``input.path``).

    ``scored_as`` names another task of the space whose network and input this task's proxies
    see unchanged (NB-MR's nine tasks all score one CIFAR-10 classifier): scores are stored
    under that task, so they are computed once for all of them. None: the task's own name.
    """

    name: str
    num_classes: int
    input_shape: tuple[int, int, int]
    output: str = "classes"
    loss: str = "cross_entropy"
    metrics: tuple[Metric, ...] = ()
    data: str | None = None
    description: str = ""
    scored_as: str | None = None

    def __post_init__(self) -> None:
        if self.output not in OUTPUT_KINDS:
            raise ValueError(f"task {self.name!r}: output {self.output!r} is not one of {OUTPUT_KINDS}")

    @property
    def has_labels(self) -> bool:
        """Whether an input batch's class labels are targets of this task's loss."""
        return self.output == "classes"


# Today's name for a task of an image-classification benchmark.
DatasetInfo = Task
