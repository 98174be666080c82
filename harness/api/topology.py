"""Topology descriptors: what a data-free proxy may look at, for any space that exposes it.

``blocks`` lists each block's candidate ops with counts (SED's view); ``graph`` is the network's
operation graph (nodes and edges with op attributes) for spaces that have one. A topology proxy
declares which it reads and is "not applicable" on a space that exposes neither.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpInfo:
    """One kind of operation, described well enough for data-free proxies.

    ``kind`` is one of ``conv``, ``pool``, ``skip``, ``none``, ``linear`` or ``other``;
    ``kernel`` and ``stride`` are (h, w); ``groups`` = input channels for a depthwise conv;
    ``expansion`` is an inverted bottleneck's ratio; ``channels`` the output channels when the
    space fixes them per op (size spaces).
    """

    name: str
    kind: str
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    dilation: int = 1
    groups: int = 1
    expansion: int = 1
    channels: int | None = None


@dataclass(frozen=True)
class BlockTopology:
    """One block (cell, stage or fixed block) of a network."""

    # The block's candidate (searchable) ops with their counts; candidates the architecture
    # does not use are listed with count 0, so data-free proxies see the whole choice set.
    ops: tuple[tuple[OpInfo, int], ...]
    c_in: int
    c_out: int
    hw_in: tuple[int, int]
    hw_out: tuple[int, int]
    searchable: bool = True
    name: str = ""


@dataclass(frozen=True)
class Edge:
    """A directed edge ``src -> dst`` carrying ``op``, inside block ``block`` of the topology."""

    src: int
    dst: int
    op: OpInfo
    block: int = 0


@dataclass(frozen=True)
class Graph:
    """The operation graph: node labels (e.g. ``input``, ``output``, ``sum``) and edges."""

    nodes: tuple[str, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class Topology:
    """Topology descriptor of one architecture."""

    blocks: tuple[BlockTopology, ...]
    graph: Graph | None = None

    def op_counts(self) -> dict[str, int]:
        """Occurrences of each op that the architecture uses (count-0 candidates left out)."""
        counts: dict[str, int] = {}
        for block in self.blocks:
            for op, n in block.ops:
                if n:
                    counts[op.name] = counts.get(op.name, 0) + n
        return counts


@dataclass(frozen=True)
class Cost:
    """Trainable parameters and FLOPs of one forward pass of one image.

    FLOPs are counted as multiply-accumulates, the convention NAS-Bench-201/NATS-Bench use.
    """

    params: int
    flops: int
