"""The built-in data sources: official CIFAR-10/100 and ImageNet16 batches, .npz files, noise.

Registered through the same hook as any third-party source (``nas_harness_data_sources``).
"""

from __future__ import annotations

from nas_harness.api import hookimpl

from .noise import Noise
from .npz import Npz
from .official import Cifar10, Cifar100, ImageNet16


@hookimpl
def nas_harness_data_sources():
    return [Cifar10, Cifar100, ImageNet16, Npz, Noise]
