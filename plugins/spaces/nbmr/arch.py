"""NAS-Bench-MR architecture codes: parsing, the network setting and the 27-number embedding.

The official code string (dingmyu/NCP ``data/search_list.txt``) is six ``-``-separated groups
of ``_``-separated integers::

    ic0_ic1 - n1_1_b_c - n2_2_b_b_c_c - n3_3_b_b_b_c_c_c - n4_4_b_b_b_b_c_c_c_c - last

``ic0, ic1`` are the stem's two widths; group k (k = 1..4) says that ``n_k`` modules with k
parallel branches follow, each branch with ``b`` residual basic blocks of ``c`` channels (the
same for the ``n_k`` modules); ``last`` is the head's width. The network setting is the list of
modules ``[branches, [blocks per branch], [channels per branch]]`` in order, and the embedding
is the code's integers without the four branch counts (27 numbers). Every code names one
network and the 2,507 benchmark codes are distinct, so the canonical code is the isomorphism key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from nas_harness.api import ArchError

N_GROUPS = 4  # module groups with 1, 2, 3, 4 branches


@dataclass(frozen=True)
class Module:
    """One multi-resolution module: ``blocks[k]`` basic blocks of ``channels[k]`` on branch k."""

    blocks: tuple[int, ...]
    channels: tuple[int, ...]

    @property
    def branches(self) -> int:
        return len(self.channels)


@dataclass(frozen=True)
class Setting:
    """A NAS-Bench-MR network: stem widths, the modules in order, and the head's width."""

    input_channel: tuple[int, int]
    modules: tuple[Module, ...]
    last_channel: int


def _ints(text: str, group: str, where: str) -> list[int]:
    parts = group.split("_")
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ArchError(
            f"NAS-Bench-MR code {text!r}: {where} {group!r} must be positive integers joined by '_'"
        )
    return [int(p) for p in parts]


@functools.lru_cache(maxsize=8192)
def parse(text: object) -> Setting:
    """The setting of a code string; ``ArchError`` names the group that is wrong."""
    if not isinstance(text, str):
        raise ArchError(f"a NAS-Bench-MR architecture is a code string, got {type(text).__name__}: {text!r}")
    s = text.strip()
    groups = s.split("-")
    if len(groups) != N_GROUPS + 2:
        raise ArchError(
            f"NAS-Bench-MR code {text!r}: expected {N_GROUPS + 2} groups joined by '-' "
            f"(stem widths, four module groups, last width), found {len(groups)}"
        )
    stem = _ints(text, groups[0], "stem widths")
    if len(stem) != 2:
        raise ArchError(f"NAS-Bench-MR code {text!r}: the stem group {groups[0]!r} must hold two widths")
    modules: list[Module] = []
    for k in range(1, N_GROUPS + 1):
        g = _ints(text, groups[k], f"module group {k}")
        if len(g) != 2 + 2 * k or g[1] != k:
            raise ArchError(
                f"NAS-Bench-MR code {text!r}: module group {k} {groups[k]!r} must be n_{k}_"
                + "_".join(["b"] * k + ["c"] * k)
                + f" ({2 + 2 * k} integers, the second = {k})"
            )
        modules.extend([Module(tuple(g[2 : 2 + k]), tuple(g[2 + k :]))] * g[0])
    last = _ints(text, groups[-1], "last width")
    if len(last) != 1:
        raise ArchError(f"NAS-Bench-MR code {text!r}: the last group {groups[-1]!r} must be one width")
    return Setting((stem[0], stem[1]), tuple(modules), last[0])


def code_of(setting: Setting) -> str:
    """The canonical code string of a setting (modules must come in runs of 1, 2, 3, 4 branches)."""
    groups = ["_".join(map(str, setting.input_channel))]
    for k in range(1, N_GROUPS + 1):
        run = [m for m in setting.modules if m.branches == k]
        if not run or any(m != run[0] for m in run):
            raise ArchError(f"NAS-Bench-MR setting: the {k}-branch modules must be one or more equal modules")
        groups.append("_".join(map(str, [len(run), k, *run[0].blocks, *run[0].channels])))
    groups.append(str(setting.last_channel))
    return "-".join(groups)


def canonical(text: object) -> str:
    return code_of(parse(text))


def embedding(setting: Setting) -> tuple[int, ...]:
    """NAS-Bench-MR's 27-number embedding (the code's integers without the branch counts)."""
    out = list(setting.input_channel)
    for k in range(1, N_GROUPS + 1):
        run = [m for m in setting.modules if m.branches == k]
        out += [len(run), *run[0].blocks, *run[0].channels]
    out.append(setting.last_channel)
    return tuple(out)


def network_setting(setting: Setting) -> list:
    """The official ``network_setting`` list: ``[[branches, [blocks], [channels]], ...]``."""
    return [[m.branches, list(m.blocks), list(m.channels)] for m in setting.modules]
