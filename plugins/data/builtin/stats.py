"""Per-channel normalization statistics of the official datasets.

They are those of xautodl's ``get_datasets``, which trained NAS-Bench-201 and NATS-Bench:
CIFAR-10 mean (125.3, 123.0, 113.9)/255 and std (63.0, 62.1, 66.7)/255; CIFAR-100 (129.3,
124.1, 112.4)/255 and (68.2, 65.4, 70.4)/255; ImageNet16 (122.68, 116.66, 104.01)/255 and
(63.22, 61.26, 65.09)/255. The often-quoted roundings (0.4914, 0.4822, 0.4465), (0.2470,
0.2435, 0.2616) etc. differ from these in the third or fourth decimal.
"""

from __future__ import annotations

import numpy as np

MEAN_STD: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "cifar10": ((125.3 / 255, 123.0 / 255, 113.9 / 255), (63.0 / 255, 62.1 / 255, 66.7 / 255)),
    "cifar100": ((129.3 / 255, 124.1 / 255, 112.4 / 255), (68.2 / 255, 65.4 / 255, 70.4 / 255)),
    "imagenet16": ((122.68 / 255, 116.66 / 255, 104.01 / 255), (63.22 / 255, 61.26 / 255, 65.09 / 255)),
}


def normalize(images: np.ndarray, mean, std) -> np.ndarray:
    """uint8 N×C×H×W → float32 ((x / 255) − mean) / std per channel."""
    return (images.astype(np.float32) / 255.0 - np.asarray(mean, np.float32)[:, None, None]) / np.asarray(
        std, np.float32
    )[:, None, None]


def own_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of the images themselves (std 1 where constant)."""
    x = images.astype(np.float64) / 255.0
    std = x.std(axis=(0, 2, 3))
    return x.mean(axis=(0, 2, 3)), np.where(std > 0, std, 1.0)
