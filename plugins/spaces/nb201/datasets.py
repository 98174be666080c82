"""The NB201 tasks (image classification on its datasets), named as NB201 spells them."""

from __future__ import annotations

from nas_harness.api import DatasetInfo, HarnessError, Metric, Task

_ACC = (Metric("accuracy", higher_is_better=True, unit="%"),)

DATASETS: dict[str, Task] = {
    "cifar10": Task("cifar10", 10, (3, 32, 32), metrics=_ACC, data="cifar10"),
    # NB201's name for CIFAR-10 trained on the train split and evaluated on the valid split;
    # the network is the same as for cifar10.
    "cifar10-valid": Task("cifar10-valid", 10, (3, 32, 32), metrics=_ACC, data="cifar10"),
    "cifar100": Task("cifar100", 100, (3, 32, 32), metrics=_ACC, data="cifar100"),
    "ImageNet16-120": Task("ImageNet16-120", 120, (3, 16, 16), metrics=_ACC, data="imagenet16"),
}


def dataset_info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise HarnessError(f"space 'nb201' has no dataset {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[name]
