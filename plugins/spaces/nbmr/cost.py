"""Analytic parameters and FLOPs of the NAS-Bench-MR classification network (``model.py``).

``cost_at(setting, num_classes, side)`` counts, for one square image of side ``side``:

* parameters: conv weights (no biases, except the classifier's), BN scale and shift, the
  classifier's weight and bias — exactly the built model's;
* FLOPs as multiply-accumulates of every conv, one per output element for a bias
  (``count_bn=False``: the harness's convention, equal to the ``flops`` proxy's count on the
  built model); with ``count_bn=True`` also 2 per BatchNorm input element, the convention of the
  ``thop`` profiler NAS-Bench-MR used. Resizes, pooling, ReLU and additions cost nothing.

**The benchmark's columns.** ``params_M``·1e6 and ``flops_G``·1e9 of ``nbmr.csv`` equal
``cost_at(setting, 50, 128, count_bn=True)`` for every one of the 2,507 networks (a test): the
classification form with 50 classes (the cls-50 tasks) on a 128×128 image.
"""

from __future__ import annotations

import functools

from nas_harness.api import Cost

from .arch import Setting

BENCHMARK_CLASSES = 50
BENCHMARK_SIDE = 128


def _half(side: int) -> int:
    """Output side of a 3×3 stride-2 conv with padding 1."""
    return (side + 1) // 2


def branch_sides(setting: Setting, side: int) -> tuple[int, ...]:
    """Side of each branch's feature map (branch 0 = the stem's output)."""
    sides = [_half(_half(side))]
    for _ in range(max(m.branches for m in setting.modules) - 1):
        sides.append(_half(sides[-1]))
    return tuple(sides)


@functools.lru_cache(maxsize=65536)
def cost_at(setting: Setting, num_classes: int, side: int, count_bn: bool = False) -> Cost:
    r = branch_sides(setting, side)
    params = flops = 0

    def conv_bn(c_in: int, c_out: int, k: int, out_side: int) -> None:
        nonlocal params, flops
        params += k * k * c_in * c_out + 2 * c_out
        flops += k * k * c_in * c_out * out_side**2 + (2 * c_out * out_side**2 if count_bn else 0)

    ic0, ic1 = setting.input_channel
    conv_bn(3, ic0, 3, _half(side))
    conv_bn(ic0, ic1, 3, r[0])
    c_prev: tuple[int, ...] = (ic1,)
    for module in setting.modules:
        c_out = module.channels
        n_fused = min(len(c_prev), len(c_out))
        for i in range(n_fused):
            for j in range(max(0, i - 1), min(len(c_prev), i + 2)):
                if j <= i:  # 3×3 conv, stride 2 from the branch above
                    conv_bn(c_prev[j], c_out[i], 3, r[i])
                else:  # 1×1 conv at the lower branch's side, then upsampled
                    conv_bn(c_prev[j], c_out[i], 1, r[j])
        for k in range(n_fused, len(c_out)):
            conv_bn(c_out[k - 1], c_out[k], 3, r[k])
        for k, (blocks, c) in enumerate(zip(module.blocks, c_out)):
            for _ in range(2 * blocks):
                conv_bn(c, c, 3, r[k])
        c_prev = c_out
    conv_bn(sum(c_prev), setting.last_channel, 1, r[len(c_prev) - 1])
    params += setting.last_channel * num_classes + num_classes
    flops += setting.last_channel * num_classes + num_classes
    return Cost(params=params, flops=flops)


def benchmark_cost(setting: Setting) -> Cost:
    """The cost NAS-Bench-MR publishes (``params_M``, ``flops_G``), as integers."""
    return cost_at(setting, BENCHMARK_CLASSES, BENCHMARK_SIDE, count_bn=True)
