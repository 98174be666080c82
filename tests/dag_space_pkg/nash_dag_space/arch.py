"""Architectures of the toy DAG space: a cell of 5 nodes (input, 3 op nodes, output).

An architecture is the upper-triangular adjacency (10 edge bits, row-major: 0→1, 0→2, 0→3,
0→4, 1→2, …, 3→4) and one op per op node, written ``"<bits>|<op1>,<op2>,<op3>"``. The
canonical form keeps only nodes on an input→output path (the others lose their edges and show
``-`` as op); a graph with no such path is not an architecture. ``iso_key`` is a hash that is
equal for isomorphic cells (the same computation with nodes renumbered).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence

import numpy as np

from nas_harness.api import ArchError

N = 5  # nodes: 0 input, 1..3 ops, 4 output
OPS = ("conv3x3", "conv1x1", "maxpool")
EDGES = tuple((i, j) for i in range(N) for j in range(i + 1, N))
INNER = tuple(range(1, N - 1))
PRUNED = "-"


def _live(bits: Sequence[int]) -> set[int]:
    """Nodes on some input→output path."""
    succ = {i: [j for (a, j), b in zip(EDGES, bits) if a == i and b] for i in range(N)}
    pred = {j: [i for (i, b_), b in zip(EDGES, bits) if b_ == j and b] for j in range(N)}

    def reach(start, nxt):
        seen, todo = {start}, [start]
        while todo:
            for m in nxt[todo.pop()]:
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return seen

    both = reach(0, succ) & reach(N - 1, pred)
    return both if N - 1 in both else set()


def canonical(bits: Sequence[int], ops: Sequence[str]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Bits and ops with dead nodes pruned; ``ArchError`` when no input→output path exists."""
    live = _live(bits)
    if not live:
        raise ArchError("no path from the input to the output")
    bits = tuple(int(b and i in live and j in live) for (i, j), b in zip(EDGES, bits))
    ops = tuple(op if n in live else PRUNED for n, op in zip(INNER, ops))
    return bits, ops


def to_string(bits: Sequence[int], ops: Sequence[str]) -> str:
    return "".join(map(str, bits)) + "|" + ",".join(ops)


def parse(text: object) -> str:
    if not isinstance(text, str) or text.count("|") != 1:
        raise ArchError(f"a dag arch is '<{len(EDGES)} edge bits>|<op>,<op>,<op>', got {text!r}")
    bits_s, ops_s = text.strip().split("|")
    ops = tuple(o.strip() for o in ops_s.split(","))
    if len(bits_s) != len(EDGES) or set(bits_s) - {"0", "1"}:
        raise ArchError(f"{text!r}: expected {len(EDGES)} edge bits of 0/1, got {bits_s!r}")
    if len(ops) != len(INNER) or any(o not in (*OPS, PRUNED) for o in ops):
        raise ArchError(f"{text!r}: expected {len(INNER)} ops from {', '.join(OPS)} (or '-'), got {ops_s!r}")
    bits = tuple(int(c) for c in bits_s)
    live = _live(bits)
    dead_op = [n for n, o in zip(INNER, ops) if o == PRUNED and n in live]
    if dead_op:
        raise ArchError(f"{text!r}: node {dead_op[0]} is on a path but has no op")
    try:
        return to_string(*canonical(bits, ops))
    except ArchError as exc:
        raise ArchError(f"{text!r}: {exc}") from None


def split(arch: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    bits_s, ops_s = arch.split("|")
    return tuple(int(c) for c in bits_s), tuple(ops_s.split(","))


def iso_key(arch: str) -> str:
    """The smallest relabelling (over permutations of the op nodes that keep the order
    topological) of the cell; equal for isomorphic cells."""
    bits, ops = split(arch)
    adj = {e for e, b in zip(EDGES, bits) if b}
    best = None
    for perm in itertools.permutations(INNER):
        m = {0: 0, N - 1: N - 1, **dict(zip(INNER, perm))}
        new = {(m[i], m[j]) for i, j in adj}
        if any(i >= j for i, j in new):
            continue
        label = (tuple(sorted(new)), tuple(ops[perm.index(n)] for n in INNER))
        best = label if best is None or label < best else best
    return hashlib.sha256(repr(best).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- decision vector


def to_picks(arch: str) -> tuple[int, ...]:
    bits, ops = split(arch)
    return (*bits, *(OPS.index(o) if o != PRUNED else 0 for o in ops))


def from_picks(picks: Sequence[int]) -> str:
    picks = [int(p) for p in picks]
    if (
        len(picks) != len(EDGES) + len(INNER)
        or any(p not in (0, 1) for p in picks[: len(EDGES)])
        or any(not 0 <= p < len(OPS) for p in picks[len(EDGES) :])
    ):
        raise ArchError(f"dag picks are {len(EDGES)} bits then {len(INNER)} op indices, got {picks!r}")
    try:
        return to_string(*canonical(picks[: len(EDGES)], [OPS[p] for p in picks[len(EDGES) :]]))
    except ArchError as exc:
        raise ArchError(f"picks {picks!r}: {exc}") from None


def repair(picks: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
    """``picks`` when valid; else the same ops with one path added: input→k→output through a
    random op node k (or the direct input→output edge)."""
    picks = [int(p) for p in picks]
    if _live(picks[: len(EDGES)]):
        return tuple(picks)
    k = int(rng.integers(len(INNER) + 1))
    path = [(0, N - 1)] if k == len(INNER) else [(0, INNER[k]), (INNER[k], N - 1)]
    for e in path:
        picks[EDGES.index(e)] = 1
    return tuple(picks)
