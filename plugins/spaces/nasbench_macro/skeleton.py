"""The NAS-Bench-Macro network's layers and their analytic cost (no torch).

As the benchmark's ``train/model.py`` builds it for CIFAR-10: a stem 3×3 conv-BN-ReLU to 32
channels at full resolution; eight layers in stages of 2/3/3, the first of each stage with
stride 2 and twice the channels (64, 128, 256); a 1×1 conv-BN-ReLU to 1,280 channels, global
average pooling and a linear classifier. An MB block (expansion t, kernel k) is a 1×1
conv-BN-ReLU to ``round(c_in·t)`` channels, a k×k depthwise conv-BN-ReLU (with the block's
stride), a 1×1 conv-BN, plus the input when the block keeps shape. Identity is a no-op, or a
strided 1×1 conv + BN when it is a stage's first layer.

Cost as the benchmark counts it: parameters of every conv, BN (scale, shift) and the linear
layer (weights, bias); FLOPs = multiply-accumulates of every conv (``c_in·c_out·k²/groups``
per output position) plus the linear layer's weights (its bias is not counted).
"""

from __future__ import annotations

from dataclasses import dataclass

from .arch import STAGES, Code

STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BLOCK = {1: (3, 3), 2: (6, 5)}  # op digit -> (expansion, kernel)


@dataclass(frozen=True)
class Layer:
    """One searchable layer's shape: channels in/out, stride and input side."""

    index: int
    c_in: int
    c_out: int
    stride: int
    hw_in: int

    @property
    def hw_out(self) -> int:
        return (self.hw_in - 1) // self.stride + 1


def layers(hw: int = 32) -> tuple[Layer, ...]:
    out = []
    c = STEM_CHANNELS
    k = 0
    for n in STAGES:
        for i in range(n):
            stride = 2 if i == 0 else 1
            out.append(Layer(k, c, 2 * c if i == 0 else c, stride, hw))
            if i == 0:
                c, hw = 2 * c, (hw - 1) // 2 + 1
            k += 1
    return tuple(out)


def _conv(c_in: int, c_out: int, k: int, hw_out: int, groups: int = 1, bn: bool = True) -> tuple[int, int]:
    w = c_in * c_out * k * k // groups
    return w + (2 * c_out if bn else 0), w * hw_out * hw_out


def layer_cost(op: int, layer: Layer) -> tuple[int, int]:
    if op == 0:
        if layer.stride == 1 and layer.c_in == layer.c_out:
            return 0, 0
        return _conv(layer.c_in, layer.c_out, 1, layer.hw_out)
    t, k = BLOCK[op]
    hidden = round(layer.c_in * t)
    parts = (
        _conv(layer.c_in, hidden, 1, layer.hw_in),
        _conv(hidden, hidden, k, layer.hw_out, groups=hidden),
        _conv(hidden, layer.c_out, 1, layer.hw_out),
    )
    return sum(p for p, _ in parts), sum(f for _, f in parts)


def cost(code: Code, hw: int = 32, num_classes: int = 10) -> tuple[int, int]:
    """(params, FLOPs) of the network for a square input of side ``hw``."""
    params, flops = _conv(3, STEM_CHANNELS, 3, hw)
    shapes = layers(hw)
    for op, layer in zip(code, shapes):
        p, f = layer_cost(op, layer)
        params, flops = params + p, flops + f
    last = shapes[-1]
    p, f = _conv(last.c_out, HEAD_CHANNELS, 1, last.hw_out)
    params, flops = params + p, flops + f
    params += HEAD_CHANNELS * num_classes + num_classes
    flops += HEAD_CHANNELS * num_classes
    return params, flops
