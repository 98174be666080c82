"""Helpers for proxy tests: a ScoreContext around a hand-made model, as the engine builds one."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from nas_harness.api import BuiltModel, DatasetInfo, ScoreContext


def declared(model: nn.Module) -> BuiltModel:
    """A hand-made test model with the parts a space would declare, found by the test models'
    own convention: ``cells`` (a ModuleList of blocks in forward order) and ``lastact`` or
    ``features`` (the module whose output is the feature map before the head)."""
    if isinstance(model, BuiltModel):  # a space's own build, parts already declared
        return model
    cells = getattr(model, "cells", None)
    features = getattr(model, "lastact", None) or getattr(model, "features", None)
    return BuiltModel(
        module=model,
        cells=tuple(cells) if cells is not None else (),
        features=features if isinstance(features, nn.Module) else None,
    )


def make_ctx(
    make_model: Callable[[bool], nn.Module],
    *,
    inputs: torch.Tensor | None = None,
    targets: torch.Tensor | None = None,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int = 3,
    seed: int = 0,
    calls: list | None = None,
) -> ScoreContext:
    """A context whose ``build_model(bn=...)`` seeds torch with ``seed`` then calls ``make_model(bn)``.

    ``input_shape`` defaults to the shape of one input; ``calls`` (if given) records each build's
    ``bn`` so a test can count how many models a proxy built.
    """
    if input_shape is None:
        input_shape = tuple(inputs.shape[1:]) if inputs is not None else (3, 8, 8)

    def factory(bn: bool = True) -> nn.Module:
        if calls is not None:
            calls.append(bn)
        torch.manual_seed(seed)
        return declared(make_model(bn))

    return ScoreContext(
        arch="toy",
        space="toy",
        dataset=DatasetInfo("toy", num_classes, input_shape),
        seed=seed,
        inputs=inputs,
        targets=targets,
        _model_factory=factory,
    )


class TinyConvNet(nn.Module):
    """conv3x3(+BN) → ReLU → conv1x1 → ReLU → global average pool → linear: every op hookable."""

    def __init__(
        self, bn: bool = True, c_in: int = 3, width: int = 4, num_classes: int = 3, bias: bool = True
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, width, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(width) if bn else nn.Identity()
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 1, bias=bias)
        self.relu2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.norm(self.conv1(x)))
        x = self.relu2(self.conv2(x))
        return self.fc(torch.flatten(self.pool(x), 1))
