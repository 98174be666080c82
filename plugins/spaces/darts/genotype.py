"""DARTS genotypes: parsing, formatting, the canonical form and moves inside the space.

A genotype has a normal and a reduction cell. A cell has two input nodes (0 = the output of
the cell before the previous one, 1 = the previous cell's output) and four intermediate nodes
2…5; node j sums two edges, each ``(op, source)`` with ``source < j``, and the cell outputs the
concatenation of nodes 2…5 (``concat = [2, 3, 4, 5]``, the only concat DARTS and NB301 use).

The DARTS space proper (what ``sample``/``mutate``/``neighbours``/``crossover`` stay in, and
what NB301 labels) has the seven ops of ``OPS`` and two *distinct* sources per node, so
(1·3·6·10 · 7^8)² ≈ 1.1 × 10^18 genotypes. The parser also accepts what published samples use
beyond it: the op ``none`` (DARTS' zero op) and a node fed twice by one source (both in
``darts_shared_cell_1000_cifar10_valid.csv``); ``in_space`` tells the two apart.

Canonical form: the two edges of a node are sorted (by source, then op order), since
``h1 + h2`` does not depend on their order. ``iso_key`` further merges genotypes that differ
only by a relabelling of the intermediate nodes (their concatenation order is immaterial at
initialisation), written as NB201 writes its isomorphism key: each node as an expression of
the two inputs.

Accepted spellings (``parse``):

* ``Genotype(normal=[('sep_conv_3x3', 0), …], normal_concat=[2, 3, 4, 5], reduce=[…],
  reduce_concat=[2, 3, 4, 5])`` — DARTS' ``genotypes.py`` repr (``range(2, 6)`` allowed);
* the compact form ``sep_conv_3x3~0;sep_conv_3x3~1;…|max_pool_3x3~0;…`` — 8 ``op~source`` per
  cell in node order, normal cell first (the cell format of the shared DARTS CSV);
* NASLib's NB301 compact ``[[(source, op_index), …8], […8]]`` (op index into ``OPS``).
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nas_harness.api import ArchError

# NB301's op order (NASLib's ``naslib_arch`` indices follow it).
OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
NONE = "none"
ALL_OPS: tuple[str, ...] = OPS + (NONE,)
OP_RANK = {op: i for i, op in enumerate(ALL_OPS)}

N_INPUTS = 2
N_NODES = 4  # intermediate nodes 2..5
NODES: tuple[int, ...] = tuple(range(N_INPUTS, N_INPUTS + N_NODES))
CONCAT: tuple[int, ...] = NODES
CELLS: tuple[str, ...] = ("normal", "reduce")

Edge = tuple[str, int]  # (op, source)
Node = tuple[Edge, Edge]
Cell = tuple[Node, Node, Node, Node]


@dataclass(frozen=True)
class Genotype:
    """Canonical genotype: each node's two edges sorted by (source, op order)."""

    normal: Cell
    reduce: Cell

    def cell(self, name: str) -> Cell:
        return self.normal if name == "normal" else self.reduce

    def in_space(self) -> bool:
        """True when the genotype is in the DARTS space proper (seven ops, distinct sources)."""
        return all(
            a[1] != b[1] and a[0] != NONE and b[0] != NONE
            for cell in (self.normal, self.reduce)
            for a, b in cell
        )


def _sort_node(a: Edge, b: Edge) -> Node:
    return tuple(sorted((a, b), key=lambda e: (e[1], OP_RANK[e[0]])))  # type: ignore[return-value]


def make_cell(edges: Sequence[Edge], where: str = "cell") -> Cell:
    """A canonical cell from 8 ``(op, source)`` edges in node order; ``ArchError`` if invalid."""
    if len(edges) != 2 * N_NODES:
        raise ArchError(f"DARTS {where}: expected {2 * N_NODES} edges (2 per node 2..5), found {len(edges)}")
    nodes = []
    for k, j in enumerate(NODES):
        pair = []
        for op, src in edges[2 * k : 2 * k + 2]:
            if op not in OP_RANK:
                raise ArchError(
                    f"DARTS {where}: node {j} has unknown op {op!r}; allowed: {', '.join(ALL_OPS)}"
                )
            if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src < j:
                raise ArchError(f"DARTS {where}: node {j} edge {op}~{src!r} needs a source in 0..{j - 1}")
            pair.append((op, int(src)))
        nodes.append(_sort_node(*pair))
    return tuple(nodes)  # type: ignore[return-value]


# --------------------------------------------------------------------------- formatting


def _cell_list(cell: Cell) -> str:
    return "[" + ", ".join(f"({op!r}, {src})" for node in cell for op, src in node) + "]"


def to_string(g: Genotype) -> str:
    """DARTS' ``Genotype(...)`` repr of the canonical genotype (the space's arch string)."""
    concat = "[" + ", ".join(map(str, CONCAT)) + "]"
    return (
        f"Genotype(normal={_cell_list(g.normal)}, normal_concat={concat}, "
        f"reduce={_cell_list(g.reduce)}, reduce_concat={concat})"
    )


def to_compact(g: Genotype) -> str:
    """``op~src;…|op~src;…``: normal then reduction cell, 8 edges each, node order."""
    return "|".join(";".join(f"{op}~{src}" for node in g.cell(c) for op, src in node) for c in CELLS)


def to_naslib(g: Genotype) -> str:
    """NASLib's NB301 compact ``[[(src, op_index), …], […]]`` (only for genotypes in the space)."""
    if any(op == NONE for c in CELLS for node in g.cell(c) for op, _ in node):
        raise ArchError("NASLib's NB301 encoding has no 'none' op")
    return repr([[(src, OPS.index(op)) for node in g.cell(c) for op, src in node] for c in CELLS])


# --------------------------------------------------------------------------- parsing


def _literal(node: ast.AST, what: str, text: str):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        return list(range(*[ast.literal_eval(a) for a in node.args]))
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise ArchError(f"DARTS genotype {text!r}: {what} must be a literal list ({exc})") from None


def _edges(value, what: str, text: str) -> list[Edge]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(e, (list, tuple)) and len(e) == 2 for e in value
    ):
        raise ArchError(f"DARTS genotype {text!r}: {what} must be a list of (op, source) pairs")
    return [(e[0], e[1]) for e in value]


def _parse_genotype(text: str) -> Genotype:
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ArchError(f"DARTS genotype {text!r} is not a Genotype(...) expression: {exc.msg}") from None
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "Genotype"):
        raise ArchError(
            f"DARTS genotype {text!r} must be Genotype(normal=..., normal_concat=..., reduce=..., reduce_concat=...)"
        )
    if tree.args:
        raise ArchError(f"DARTS genotype {text!r}: give its fields by name (normal=..., reduce=...)")
    fields = {kw.arg: kw.value for kw in tree.keywords}
    expected = {"normal", "normal_concat", "reduce", "reduce_concat"}
    if set(fields) != expected:
        raise ArchError(
            f"DARTS genotype {text!r}: fields must be {sorted(expected)}, got {sorted(map(str, fields))}"
        )
    cells = {}
    for c in CELLS:
        concat = _literal(fields[f"{c}_concat"], f"{c}_concat", text)
        if list(concat) != list(CONCAT):
            raise ArchError(
                f"DARTS genotype {text!r}: {c}_concat must be {list(CONCAT)} (all intermediate nodes), got {concat!r}"
            )
        cells[c] = make_cell(_edges(_literal(fields[c], c, text), c, text), f"genotype {c} cell")
    return Genotype(cells["normal"], cells["reduce"])


def _parse_compact(text: str) -> Genotype:
    parts = text.strip().split("|")
    if len(parts) != 2:
        raise ArchError(
            f"DARTS compact genotype {text!r}: expected two cells 'normal|reduce', found {len(parts)}"
        )
    cells = []
    for c, part in zip(CELLS, parts):
        edges = []
        for entry in part.split(";"):
            m = re.fullmatch(r"\s*([a-z0-9_]+)~([0-9]+)\s*", entry)
            if m is None:
                raise ArchError(
                    f"DARTS compact genotype {text!r}: {c} edge {entry!r} must be op~source (e.g. sep_conv_3x3~1)"
                )
            edges.append((m.group(1), int(m.group(2))))
        cells.append(make_cell(edges, f"compact {c} cell"))
    return Genotype(*cells)


def _parse_naslib(text: str) -> Genotype:
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise ArchError(
            f"DARTS NASLib genotype {text!r} is not a literal [[(source, op_index), ...], [...]]"
        ) from None
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise ArchError(
            f"DARTS NASLib genotype {text!r}: expected [normal, reduce], two lists of 8 (source, op_index)"
        )
    cells = []
    for c, edges in zip(CELLS, value):
        pairs = _edges(edges, c, text)
        for _src, op in pairs:
            if isinstance(op, bool) or not isinstance(op, int) or not 0 <= op < len(OPS):
                raise ArchError(
                    f"DARTS NASLib genotype {text!r}: {c} op index {op!r} not in 0..{len(OPS) - 1}"
                )
        cells.append(make_cell([(OPS[op], src) for src, op in pairs], f"NASLib {c} cell"))
    return Genotype(*cells)


@functools.lru_cache(maxsize=65536)
def _parse_cached(text: str) -> Genotype:
    s = text.strip()
    if s.startswith("Genotype"):
        return _parse_genotype(s)
    if s.startswith("["):
        return _parse_naslib(s)
    return _parse_compact(s)


def parse(text: object) -> Genotype:
    """Any accepted spelling → canonical ``Genotype``; ``ArchError`` says what is wrong."""
    if isinstance(text, Genotype):
        return text
    if not isinstance(text, str):
        raise ArchError(f"a DARTS genotype is a string, got {type(text).__name__}: {text!r}")
    return _parse_cached(text)


def canonical(text: object) -> str:
    return to_string(parse(text))


# --------------------------------------------------------------------------- isomorphism


def _cell_key(cell: Cell, reduction: bool) -> str:
    """The cell as expressions of its inputs; node order and edge order do not matter.

    An edge is ``#`` (zero) for ``none`` or a zero source, the source itself for an identity
    ``skip_connect`` (in a reduction cell a skip from an input is a strided factorized
    reduction, so it stays an op), else ``op(source)``. A node is its sorted terms joined by
    ``+``; the cell is its four nodes sorted (the output concatenates them all).
    """
    exprs = ["a", "b"]
    for node in cell:
        terms = []
        for op, src in node:
            s = exprs[src]
            if op == NONE or s == "#":
                terms.append("#")
            elif op == "skip_connect" and not (reduction and src < N_INPUTS):
                terms.append(s)
            else:
                terms.append(f"{op}({s})")
        terms.sort()
        exprs.append("#" if terms == ["#", "#"] else "+".join(terms))
    return ",".join(sorted(exprs[N_INPUTS:]))


def iso_key(g: Genotype) -> str:
    return f"normal[{_cell_key(g.normal, False)}]reduce[{_cell_key(g.reduce, True)}]"


# --------------------------------------------------------------------------- moves


def _source_pairs(j: int) -> list[tuple[int, int]]:
    return list(itertools.combinations(range(j), 2))


def sample_cell(rng: np.random.Generator) -> Cell:
    """A uniform cell of the DARTS space: each node a uniform pair of distinct sources, ops uniform."""
    edges: list[Edge] = []
    for j in NODES:
        pairs = _source_pairs(j)
        a, b = pairs[int(rng.integers(len(pairs)))]
        edges += [(OPS[int(rng.integers(len(OPS)))], a), (OPS[int(rng.integers(len(OPS)))], b)]
    return make_cell(edges)


def sample(rng: np.random.Generator) -> Genotype:
    return Genotype(sample_cell(rng), sample_cell(rng))


def _replace(g: Genotype, cell: str, k: int, node: Node) -> Genotype:
    c = list(g.cell(cell))
    c[k] = _sort_node(*node)
    return Genotype(tuple(c), g.reduce) if cell == "normal" else Genotype(g.normal, tuple(c))  # type: ignore[arg-type]


def _edge_moves(g: Genotype, cell: str, k: int, e: int) -> tuple[list[Genotype], list[Genotype]]:
    """(op changes, source changes) of edge ``e`` of node ``NODES[k]``, staying in the space."""
    j = NODES[k]
    node = g.cell(cell)[k]
    (op, src), other = node[e], node[1 - e]
    ops = [_replace(g, cell, k, ((o, src), other)) for o in OPS if o != op]
    taken = {src, other[1]}
    srcs = [_replace(g, cell, k, ((op, s), other)) for s in range(j) if s not in taken]
    return ops, srcs


def mutate(g: Genotype, rng: np.random.Generator) -> Genotype:
    """One edge of one cell changes: its op (half the time) or its source (when one is free)."""
    cell = CELLS[int(rng.integers(2))]
    k = int(rng.integers(N_NODES))
    e = int(rng.integers(2))
    ops, srcs = _edge_moves(g, cell, k, e)
    pool = srcs if srcs and rng.random() < 0.5 else ops
    return pool[int(rng.integers(len(pool)))]


def neighbours(g: Genotype) -> list[Genotype]:
    """Every genotype one op change or one source change away (distinct, self excluded)."""
    seen: dict[Genotype, None] = {}
    for cell in CELLS:
        for k in range(N_NODES):
            for e in range(2):
                ops, srcs = _edge_moves(g, cell, k, e)
                for n in ops + srcs:
                    if n != g:
                        seen.setdefault(n, None)
    return list(seen)


def crossover(a: Genotype, b: Genotype, rng: np.random.Generator) -> Genotype:
    """Uniform crossover by node: each node of each cell comes whole from one parent."""
    cells = []
    for c in CELLS:
        ca, cb = a.cell(c), b.cell(c)
        cells.append(tuple(ca[k] if rng.random() < 0.5 else cb[k] for k in range(N_NODES)))
    return Genotype(*cells)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- decisions


def decisions() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per cell and node: its source pair, the op on its lower source, the op on the higher one.

    Every combination is one genotype of the DARTS space (24 decisions).
    """
    out = []
    for c in CELLS:
        for j in NODES:
            out.append((f"{c}.node{j}.sources", tuple(f"{a}_{b}" for a, b in _source_pairs(j))))
            out.append((f"{c}.node{j}.op_lo", OPS))
            out.append((f"{c}.node{j}.op_hi", OPS))
    return tuple(out)


def to_choices(g: Genotype) -> tuple[int, ...]:
    if not g.in_space():
        raise ArchError(
            f"genotype {to_compact(g)} uses 'none' or a repeated source: it has no decision vector"
        )
    picks = []
    for c in CELLS:
        for k, j in enumerate(NODES):
            (op_lo, lo), (op_hi, hi) = g.cell(c)[k]
            picks += [_source_pairs(j).index((lo, hi)), OPS.index(op_lo), OPS.index(op_hi)]
    return tuple(picks)


def from_choices(picks: Sequence[int]) -> Genotype:
    spec = decisions()
    p = [int(x) for x in picks]
    if len(p) != len(spec) or not all(0 <= x < len(opts) for x, (_, opts) in zip(p, spec)):
        raise ArchError(
            f"DARTS choices are {len(spec)} option indices (see decisions()), got {list(picks)!r}"
        )
    cells = []
    for ci in range(len(CELLS)):
        edges: list[Edge] = []
        for k, j in enumerate(NODES):
            s, o_lo, o_hi = p[ci * 3 * N_NODES + 3 * k : ci * 3 * N_NODES + 3 * k + 3]
            lo, hi = _source_pairs(j)[s]
            edges += [(OPS[o_lo], lo), (OPS[o_hi], hi)]
        cells.append(make_cell(edges))
    return Genotype(*cells)
