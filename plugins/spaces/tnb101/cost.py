"""Parameters and MACs of a TransNAS-Bench-101 network, counted on the ``meta`` device.

The network is built without memory or initialisation (``torch.device("meta")``), its
parameters are counted, and one forward pass of one image on meta tensors records every conv,
transposed conv and linear layer's output shape: MACs = k·k·c_in/groups·c_out per output
position (a transposed conv: per input position), linear in·out + out — NB201's convention
(pooling, BN, activations and additions are free). Jigsaw counts the encoder nine times (one
pass per tile). Costs are cached per (architecture, task, side).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .arch import MicroCode

if TYPE_CHECKING:
    import torch
    from torch import nn


def _macs(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    from torch import nn

    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features + (
            module.out_features if module.bias is not None else 0
        )
    kh, kw = module.kernel_size
    per = kh * kw * (module.in_channels // module.groups) * module.out_channels
    if isinstance(module, nn.ConvTranspose2d):
        return per * inp.shape[-2] * inp.shape[-1]
    return per * out.shape[-2] * out.shape[-1]


def _count(net: nn.Module, shape: tuple[int, ...]) -> tuple[int, int]:
    import torch
    from torch import nn

    params = sum(p.numel() for p in net.parameters())
    total = [0]

    def hook(module, args, out):
        total[0] += _macs(module, args[0], out)

    layers = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, layers)]
    try:
        with torch.no_grad():
            net.eval()
            net(torch.empty(*shape, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return params, total[0]


@functools.lru_cache(maxsize=16384)
def encoder_cost(skeleton: str, micro: MicroCode | None, side: int) -> tuple[int, int]:
    import torch

    from .model import Encoder

    with torch.device("meta"):
        enc = Encoder(skeleton, micro, bn=True)
    return _count(enc, (1, 3, side, side))


@functools.lru_cache(maxsize=1024)
def head_cost(task: str, c: int, h: int, side: int, n_out: int) -> tuple[int, int]:
    import torch

    from .model import build_head

    with torch.device("meta"):
        head = build_head(task, c, h, side, n_out, bn=True)
    c_in = 9 * c if task == "jigsaw" else c
    return _count(head, (1, c_in, h, h))


def network_cost(skeleton: str, micro: MicroCode | None, task: str, n_out: int, side: int) -> tuple[int, int]:
    """(params, MACs of one ``side``×``side`` image) of ``build_network`` with BN."""
    from .model import feature_side, layer_plan

    tile = side // 3 if task == "jigsaw" else side
    ep, ef = encoder_cost(skeleton, micro, tile)
    c = layer_plan(skeleton)[-1][1]
    hp, hf = head_cost(task, c, feature_side(tile, skeleton), side, n_out)
    return ep + hp, (9 if task == "jigsaw" else 1) * ef + hf
