"""Weight initializations applied to a freshly built model (WRCor Table 6, Eproxy/DPS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported when a model is initialized, not by the configs that list INITS
    import torch
    from torch import nn

INITS = ("kaiming_uniform", "kaiming_normal", "normal", "xavier_normal", "xavier_uniform")


def _apply(model: nn.Module, fn: Callable[[torch.Tensor], object]) -> None:
    import torch
    from torch import nn

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fn(module.weight)


def initialize(model: nn.Module, scheme: str) -> nn.Module:
    """Re-initialize Conv2d/Linear weights; ``kaiming_uniform`` keeps PyTorch's default.

    PyTorch's default for Conv2d/Linear is Kaiming-uniform with a=sqrt(5), which is what the
    papers call "Kaiming uniform (PyTorch default)". Biases and BatchNorm keep their defaults,
    as in the WRCor code, which re-initializes weights only.
    """
    from torch import nn

    if scheme == "kaiming_uniform":
        return model
    if scheme == "kaiming_normal":
        _apply(model, lambda w: nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu"))
    elif scheme == "normal":
        _apply(model, lambda w: nn.init.normal_(w, 0.0, 1.0))
    elif scheme == "xavier_normal":
        _apply(model, nn.init.xavier_normal_)
    elif scheme == "xavier_uniform":
        _apply(model, nn.init.xavier_uniform_)
    else:
        raise ValueError(f"unknown init {scheme!r}; known: {', '.join(INITS)}")
    return model
