"""The NATS-SSS tasks, named as NATS-Bench spells its datasets."""

from __future__ import annotations

from nas_harness.api import DatasetInfo, HarnessError

TASKS: dict[str, DatasetInfo] = {
    "cifar10": DatasetInfo("cifar10", 10, (3, 32, 32)),
    "cifar100": DatasetInfo("cifar100", 100, (3, 32, 32)),
    "ImageNet16-120": DatasetInfo("ImageNet16-120", 120, (3, 16, 16)),
}


def task_info(name: str) -> DatasetInfo:
    if name not in TASKS:
        raise HarnessError(f"space 'nats_sss' has no task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]
