"""Counting a built model's parameters and multiply-accumulates with forward hooks."""

from __future__ import annotations

import torch
from torch import nn


def hook_cost(model: nn.Module, input_shape: tuple[int, int, int], count_bn: bool = False) -> tuple[int, int]:
    """(parameters, MACs of one image): conv/linear MACs + one per bias output, + 2 per BN input
    element when ``count_bn``."""
    macs = 0

    def on_conv(m, args, out):
        nonlocal macs
        per = (
            m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
            if isinstance(m, nn.Conv2d)
            else m.in_features
        )
        macs += out.numel() * (per + (m.bias is not None))

    def on_bn(m, args, out):
        nonlocal macs
        macs += 2 * args[0].numel()

    handles = [
        m.register_forward_hook(on_conv) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    if count_bn:
        handles += [m.register_forward_hook(on_bn) for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *input_shape))
    for h in handles:
        h.remove()
    return sum(p.numel() for p in model.parameters()), macs
