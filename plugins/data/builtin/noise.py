"""Gaussian noise inputs of the task's shape, labels uniform over its classes."""

from __future__ import annotations

import numpy as np

from nas_harness.api.sources import BatchRequest, DataSource, SourceBatch


class Noise(DataSource):
    """N(0, 1) inputs of the task's input shape and labels drawn uniformly from its classes,
    both from ``np.random.default_rng(seed)`` (inputs first)."""

    name = "noise"
    version = "1"
    summary = "Gaussian N(0,1) inputs of the task's shape; needs no data"

    def load(self, request: BatchRequest) -> SourceBatch:
        rng = np.random.default_rng(request.seed)
        task = request.task
        x = rng.standard_normal((request.batch_size, *task.input_shape), dtype=np.float32)
        y = rng.integers(0, task.num_classes, request.batch_size)
        return SourceBatch(inputs=x, labels=y, label="noise", where="gaussian N(0,1)")
