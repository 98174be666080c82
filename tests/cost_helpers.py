"""Cost recomputed from a built model: parameters and multiply-accumulates counted by hooks."""

from __future__ import annotations

import torch
from torch import nn


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def hooked_macs(model: nn.Module, image_shape=(3, 32, 32), *, linear_bias: bool) -> int:
    """MACs of one image: every conv (per output element, c_in/groups·k²) and every linear layer
    (in·out, plus out when ``linear_bias``), read from the shapes a real forward pass produces."""
    total = 0

    def conv_hook(m: nn.Conv2d, inputs, out):
        nonlocal total
        total += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m: nn.Linear, inputs, out):
        nonlocal total
        total += m.in_features * m.out_features + (m.out_features if linear_bias else 0)

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *image_shape))
    for h in handles:
        h.remove()
    return total


def cell_shapes(cells, model: nn.Module, image_shape=(3, 32, 32)) -> list[tuple[tuple, tuple]]:
    """(input shape, output shape) without the batch dim of each of ``cells`` in a forward pass."""
    shapes = []

    def record(_m, inputs, out):
        shapes.append((tuple(inputs[0].shape[1:]), tuple(out.shape[1:])))

    handles = [c.register_forward_hook(record) for c in cells]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *image_shape))
    for h in handles:
        h.remove()
    return shapes
