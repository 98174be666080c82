"""The Channel-Bench-Macro topology descriptor: the stem, the searchable blocks and the head.

A size space: every architecture has the same ops, so each block lists the convs it runs
(with kernel, stride, groups and output channels, equal ones merged into one count) and a
``skip`` when it has a shortcut; the widths are what differ between architectures.
"""

from __future__ import annotations

import functools
from collections import Counter

from nas_harness.api import BlockTopology, OpInfo, Topology

from .arch import Code
from .skeleton import blocks, convs, features_out, widths


def _sq(hw: int) -> tuple[int, int]:
    return (hw, hw)


def _op(c) -> OpInfo:
    name = ("dwconv" if c.groups > 1 else "conv") + f"{c.kernel}x{c.kernel}"
    return OpInfo(
        name,
        "conv",
        kernel=(c.kernel, c.kernel),
        stride=(c.stride, c.stride),
        groups=c.groups,
        channels=c.c_out,
    )


@functools.lru_cache(maxsize=8192)
def topology_of(backbone: str, code: Code, hw: int = 32, num_classes: int = 10) -> Topology:
    w = widths(backbone, code)
    all_convs = convs(backbone, code, hw)
    stem = all_convs[0]
    out = [
        BlockTopology(((_op(stem), 1),), 3, w[0], _sq(hw), _sq(stem.hw_out), searchable=False, name="stem")
    ]
    for b in blocks(backbone, w, hw):
        counts = Counter(_op(c) for c in all_convs if c.block == b.name)
        if b.shortcut:
            counts[OpInfo("skip", "skip", channels=b.c_out)] += 1
        out.append(
            BlockTopology(tuple(counts.items()), b.c_in, b.c_out, _sq(b.hw_in), _sq(b.hw_out), name=b.name)
        )
    last_hw = out[-1].hw_out
    for c in all_convs:
        if c.block == "out":
            out.append(
                BlockTopology(((_op(c), 1),), c.c_in, c.c_out, last_hw, last_hw, searchable=False, name="out")
            )
    c_last = features_out(backbone, code)
    out.append(
        BlockTopology(
            ((OpInfo("global_pool+dense", "linear", channels=num_classes), 1),),
            c_last,
            num_classes,
            last_hw,
            (1, 1),
            searchable=False,
            name="head",
        )
    )
    return Topology(tuple(out))
