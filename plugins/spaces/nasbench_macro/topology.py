"""The NAS-Bench-Macro topology descriptor: one block per layer, plus the fixed stem and head.

Each searchable layer lists its three candidates with the chosen one counted 1: ``identity``
(a ``skip`` that does nothing, or, in a stage's first layer, the strided 1×1 conv + BN that
stands in for it) and the two MB blocks (kind ``conv`` with their depthwise kernel, stride,
expansion and output channels).
"""

from __future__ import annotations

import functools

from nas_harness.api import BlockTopology, OpInfo, Topology

from .arch import Code
from .skeleton import BLOCK, HEAD_CHANNELS, STEM_CHANNELS, Layer, layers


def candidates(layer: Layer) -> tuple[OpInfo, ...]:
    s = (layer.stride, layer.stride)
    if layer.stride == 1 and layer.c_in == layer.c_out:
        identity = OpInfo("identity", "skip", channels=layer.c_out)
    else:
        identity = OpInfo("identity", "conv", kernel=(1, 1), stride=s, channels=layer.c_out)
    mb = tuple(
        OpInfo(name, "conv", kernel=(k, k), stride=s, expansion=t, channels=layer.c_out)
        for name, (t, k) in zip(("MB3_K3", "MB6_K5"), (BLOCK[1], BLOCK[2]))
    )
    return (identity, *mb)


def _sq(hw: int) -> tuple[int, int]:
    return (hw, hw)


@functools.lru_cache(maxsize=8192)
def topology_of(code: Code, hw: int = 32, num_classes: int = 10) -> Topology:
    shapes = layers(hw)
    blocks = [
        BlockTopology(
            ((OpInfo("stem conv3x3", "conv", kernel=(3, 3), channels=STEM_CHANNELS), 1),),
            3,
            STEM_CHANNELS,
            _sq(hw),
            _sq(hw),
            searchable=False,
            name="stem",
        )
    ]
    for op, layer in zip(code, shapes):
        ops = tuple((info, int(k == op)) for k, info in enumerate(candidates(layer)))
        blocks.append(
            BlockTopology(
                ops, layer.c_in, layer.c_out, _sq(layer.hw_in), _sq(layer.hw_out), name=f"layer{layer.index}"
            )
        )
    last = shapes[-1]
    blocks.append(
        BlockTopology(
            ((OpInfo("conv1x1", "conv", channels=HEAD_CHANNELS), 1),),
            last.c_out,
            HEAD_CHANNELS,
            _sq(last.hw_out),
            _sq(last.hw_out),
            searchable=False,
            name="out",
        )
    )
    blocks.append(
        BlockTopology(
            ((OpInfo("global_pool+dense", "linear", channels=num_classes), 1),),
            HEAD_CHANNELS,
            num_classes,
            _sq(last.hw_out),
            (1, 1),
            searchable=False,
            name="head",
        )
    )
    return Topology(tuple(blocks))
