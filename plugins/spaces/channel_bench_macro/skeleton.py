"""The two Channel-Bench-Macro backbones: their widths, layers and analytic cost (no torch).

As the benchmark's ``model.py`` builds them for CIFAR-10. Width ``i`` of an architecture is
``round(ratio_i · MAX[i])``.

* ``resnet``, widths ``w0..w6`` (maxima 256, 256, 256, 512, 512, 512, 512): a 3×3 stride-2
  stem conv-BN-ReLU to w0; residual blocks (3×3 conv-BN-ReLU to the block's inner width, 3×3
  conv-BN to its output) w0→w1→w0 and w0→w2→w0 with identity shortcuts, a stride-2 block
  w0→w3→w4 with no shortcut, then w4→w5→w4 and w4→w6→w4 with shortcuts; a ReLU after every
  block; global average pooling, linear classifier on w4.
* ``mobilenet``, widths (maxima 128, 768, 768, 768, 256, 1536, 1024): a 3×3 stride-2 stem
  conv-BN-ReLU to w0; inverted residual blocks (1×1 conv-BN-ReLU to the inner width, 3×3
  depthwise conv-BN-ReLU, 1×1 conv-BN) w0→w1→w0, w0→w2→w0 (with shortcuts), w0→w3→w4 with
  stride 2, w4→w5→w4 (shortcut); a 1×1 conv-BN-ReLU w4→w6, global average pooling, linear
  classifier on w6.

Cost as the benchmark counts it: parameters of every conv, BN (scale, shift) and the linear
layer (weights, bias); FLOPs = multiply-accumulates of every conv (``c_in·c_out·k²/groups``
per output position) plus the linear layer's weights (its bias is not counted).
"""

from __future__ import annotations

from dataclasses import dataclass

from .arch import Code

BACKBONES: tuple[str, ...] = ("resnet", "mobilenet")
MAX_WIDTHS: dict[str, tuple[int, ...]] = {
    "resnet": (256, 256, 256, 512, 512, 512, 512),
    "mobilenet": (128, 768, 768, 768, 256, 1536, 1024),
}


def widths(backbone: str, code: Code) -> tuple[int, ...]:
    return tuple(round((d + 1) * m / 4) for d, m in zip(code, MAX_WIDTHS[backbone]))


@dataclass(frozen=True)
class Conv:
    """One conv (+ BN) of the network, in forward order: what the cost and topology read."""

    block: str
    c_in: int
    c_out: int
    kernel: int
    stride: int
    groups: int
    hw_out: int


@dataclass(frozen=True)
class Block:
    """One block: its input/output channels, inner width, stride, input side, shortcut."""

    name: str
    c_in: int
    c_mid: int
    c_out: int
    stride: int
    hw_in: int
    shortcut: bool

    @property
    def hw_out(self) -> int:
        return (self.hw_in - 1) // self.stride + 1


def blocks(backbone: str, w: tuple[int, ...], hw: int = 32) -> tuple[Block, ...]:
    """The four (mobilenet) or five (resnet) searchable blocks after the stride-2 stem."""
    hw = (hw - 1) // 2 + 1
    if backbone == "resnet":
        spec = [
            (w[0], w[1], w[0], 1),
            (w[0], w[2], w[0], 1),
            (w[0], w[3], w[4], 2),
            (w[4], w[5], w[4], 1),
            (w[4], w[6], w[4], 1),
        ]
    else:
        spec = [(w[0], w[1], w[0], 1), (w[0], w[2], w[0], 1), (w[0], w[3], w[4], 2), (w[4], w[5], w[4], 1)]
    out = []
    for k, (c_in, c_mid, c_out, stride) in enumerate(spec, start=1):
        b = Block(f"block{k}", c_in, c_mid, c_out, stride, hw, shortcut=(stride == 1 and c_in == c_out))
        out.append(b)
        hw = b.hw_out
    return tuple(out)


def convs(backbone: str, code: Code, hw: int = 32) -> tuple[Conv, ...]:
    w = widths(backbone, code)
    stem_hw = (hw - 1) // 2 + 1
    out = [Conv("stem", 3, w[0], 3, 2, 1, stem_hw)]
    bs = blocks(backbone, w, hw)
    for b in bs:
        if backbone == "resnet":
            out.append(Conv(b.name, b.c_in, b.c_mid, 3, b.stride, 1, b.hw_out))
            out.append(Conv(b.name, b.c_mid, b.c_out, 3, 1, 1, b.hw_out))
        else:
            out.append(Conv(b.name, b.c_in, b.c_mid, 1, 1, 1, b.hw_in))
            out.append(Conv(b.name, b.c_mid, b.c_mid, 3, b.stride, b.c_mid, b.hw_out))
            out.append(Conv(b.name, b.c_mid, b.c_out, 1, 1, 1, b.hw_out))
    if backbone == "mobilenet":
        out.append(Conv("out", w[4], w[6], 1, 1, 1, bs[-1].hw_out))
    return tuple(out)


def features_out(backbone: str, code: Code) -> int:
    """Channels entering the classifier."""
    w = widths(backbone, code)
    return w[4] if backbone == "resnet" else w[6]


def cost(backbone: str, code: Code, hw: int = 32, num_classes: int = 10) -> tuple[int, int]:
    """(params, FLOPs) of the network for a square input of side ``hw``."""
    params = flops = 0
    for c in convs(backbone, code, hw):
        weights = c.c_in * c.c_out * c.kernel * c.kernel // c.groups
        params += weights + 2 * c.c_out
        flops += weights * c.hw_out * c.hw_out
    c_last = features_out(backbone, code)
    return params + c_last * num_classes + num_classes, flops + c_last * num_classes
