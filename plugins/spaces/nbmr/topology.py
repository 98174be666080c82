"""Topology descriptor of a NAS-Bench-MR network (the classification form of ``model.py``).

Blocks, in forward order: the stem (fixed), one searchable block per module, the head's
concat + 1×1 conv (fixed). A module's block lists the ops it runs with their counts and
``OpInfo.channels`` = the widest output branch: ``conv_3x3`` (fuse paths on the same branch,
new-branch and basic-block convs), ``conv_3x3_s2`` (fuse paths from the branch above and
new branches), ``conv_1x1`` (fuse paths from the branch below, then upsampled) and ``skip``
(the identity of each basic block). ``c_in``/``c_out`` are the summed branch widths and
``hw_in``/``hw_out`` the side of branch 0, which is the same in every module. No op is
optional in NAS-Bench-MR (the choices are widths and counts), so SED sees counts and widths.
"""

from __future__ import annotations

import dataclasses
import functools

from nas_harness.api import BlockTopology, OpInfo, Topology

from .arch import Setting
from .cost import branch_sides


@functools.cache
def _op(name: str, kind: str, kernel: int = 1, stride: int = 1, channels: int | None = None) -> OpInfo:
    """An OpInfo; ``channels`` is kept where the contract's OpInfo has the field (v2)."""
    extra = {"channels": channels} if "channels" in {f.name for f in dataclasses.fields(OpInfo)} else {}
    return OpInfo(name, kind, kernel=(kernel, kernel), stride=(stride, stride), **extra)


@functools.lru_cache(maxsize=8192)
def topology_of(setting: Setting, side: int) -> Topology:
    r = branch_sides(setting, side)
    blocks = [
        BlockTopology(
            (), 3, setting.input_channel[1], (side, side), (r[0], r[0]), searchable=False, name="stem"
        )
    ]
    c_prev: tuple[int, ...] = (setting.input_channel[1],)
    for m, module in enumerate(setting.modules):
        c_out = module.channels
        n_fused = min(len(c_prev), len(c_out))
        same = down = up = 0
        for i in range(n_fused):
            for j in range(max(0, i - 1), min(len(c_prev), i + 2)):
                same, down, up = same + (j == i), down + (j < i), up + (j > i)
        down += len(c_out) - n_fused
        same += 2 * sum(module.blocks)
        width = max(c_out)
        ops = (
            (_op("conv_3x3", "conv", 3, 1, width), same),
            (_op("conv_3x3_s2", "conv", 3, 2, width), down),
            (_op("conv_1x1", "conv", 1, 1, width), up),
            (_op("skip", "skip", channels=width), sum(module.blocks)),
        )
        blocks.append(
            BlockTopology(ops, sum(c_prev), sum(c_out), (r[0], r[0]), (r[0], r[0]), True, f"module{m + 1}")
        )
        c_prev = c_out
    last = r[len(c_prev) - 1]
    blocks.append(
        BlockTopology(
            (), sum(c_prev), setting.last_channel, (r[0], r[0]), (last, last), searchable=False, name="head"
        )
    )
    return Topology(tuple(blocks))
