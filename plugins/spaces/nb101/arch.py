"""NAS-Bench-101 cells: the string form, validation, pruning, canonical order and graph hash.

A cell is a DAG given by an upper-triangular adjacency matrix on ``n`` vertices (vertex 0 =
input, vertex ``n-1`` = output) and one op per interior vertex, from ``OPS``. It belongs to
NB101's space when, after pruning the vertices that are not on an input→output path, it has
at most 7 vertices and at most 9 edges (NB101 checks the pruned spec, as here).

The string form writes the interior ops, then the strict upper triangle row by row::

    c3,mp,c1:1110.011.01.1        ops of vertices 1..n-2 : row 0 . row 1 . ... . row n-2

``c3`` = conv3x3-bn-relu, ``c1`` = conv1x1-bn-relu, ``mp`` = maxpool3x3 (the full NB101 names
are accepted too); row ``i`` has one bit per vertex ``j > i``. The canonical string of a cell
is its pruned form, vertices kept in the order given: NB101's network depends on that order
(the output's channel split gives the extra channels to the first vertices that feed it, and
truncations follow), so relabelling an isomorphic cell can change its parameter count, and
the published counts are those of the stored order. Isomorphic cells are identified, as NB101
does, by ``graph_hash``: NB101's own key (the MD5 fingerprint its dataset is keyed by), rebuilt
from its definition.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nas_harness.api import ArchError

OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")  # NB101's available_ops order
SHORT: tuple[str, ...] = ("c3", "c1", "mp")
_OP_OF = {name: i for i, name in enumerate(OPS)} | {name: i for i, name in enumerate(SHORT)}
CONV3, CONV1, MAXPOOL = range(len(OPS))

MAX_VERTICES = 7
MAX_EDGES = 9


@dataclass(frozen=True)
class Cell:
    """A cell: ``matrix[i][j] == 1`` is an edge i→j (i < j); ``ops[k]`` is vertex k+1's op index."""

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.matrix)

    def edges(self) -> list[tuple[int, int]]:
        return [(i, j) for i in range(self.n) for j in range(i + 1, self.n) if self.matrix[i][j]]

    def num_edges(self) -> int:
        return sum(map(sum, self.matrix))

    def op_names(self) -> list[str]:
        """NB101's op list: ``input``, the interior ops, ``output``."""
        return ["input", *(OPS[o] for o in self.ops), "output"]


# --------------------------------------------------------------------------- string form


def format_cell(cell: Cell) -> str:
    rows = ".".join("".join(str(cell.matrix[i][j]) for j in range(i + 1, cell.n)) for i in range(cell.n - 1))
    return ",".join(SHORT[o] for o in cell.ops) + ":" + rows


def parse_raw(text: object) -> Cell:
    """The cell a string writes, as written (neither pruned nor checked against the space)."""
    if not isinstance(text, str):
        raise ArchError(f"an NB101 architecture is a string, got {type(text).__name__}: {text!r}")
    s = text.strip()
    if s.count(":") != 1:
        raise ArchError(
            f"NB101 arch {text!r}: expected 'ops:rows' (e.g. 'c3,mp:110.01.1') with exactly one ':'"
        )
    ops_part, rows_part = s.split(":")
    names = [t.strip() for t in ops_part.split(",")] if ops_part.strip() else []
    ops = []
    for k, name in enumerate(names, start=1):
        if name not in _OP_OF:
            raise ArchError(
                f"NB101 arch {text!r}: vertex {k} has unknown op {name!r}; allowed: "
                f"{', '.join(SHORT)} (or {', '.join(OPS)})"
            )
        ops.append(_OP_OF[name])
    n = len(ops) + 2
    if n > MAX_VERTICES:
        raise ArchError(
            f"NB101 arch {text!r}: {len(ops)} interior ops make {n} vertices; at most {MAX_VERTICES}"
        )
    rows = rows_part.split(".")
    if len(rows) != n - 1:
        raise ArchError(
            f"NB101 arch {text!r}: {len(ops)} interior op(s) mean {n} vertices, so {n - 1} rows joined by '.', "
            f"found {len(rows)} ({rows_part!r})"
        )
    matrix = [[0] * n for _ in range(n)]
    for i, row in enumerate(rows):
        if len(row) != n - 1 - i or set(row) - {"0", "1"}:
            raise ArchError(
                f"NB101 arch {text!r}: row {i} {row!r} must be {n - 1 - i} bits of 0/1 "
                f"(edges {i}->{i + 1}..{n - 1})"
            )
        for j, bit in enumerate(row, start=i + 1):
            matrix[i][j] = int(bit)
    return Cell(tuple(map(tuple, matrix)), tuple(ops))


def from_matrix(matrix: Sequence[Sequence[int]], ops: Sequence[str], where: str = "") -> Cell:
    """A cell from NB101's own (matrix, ops) form, ops including ``input`` and ``output``."""
    at = f"{where}: " if where else ""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] != len(ops):
        raise ArchError(
            f"{at}NB101 matrix must be square with one row per op ({len(ops)} ops), got shape {m.shape}"
        )
    if not np.isin(m, (0, 1)).all() or np.tril(m).any():
        raise ArchError(f"{at}NB101 matrix must be strictly upper-triangular 0/1, got {m.tolist()}")
    if len(ops) < 2 or ops[0] != "input" or ops[-1] != "output":
        raise ArchError(f"{at}NB101 ops must start with 'input' and end with 'output', got {list(ops)}")
    interior = []
    for k, op in enumerate(ops[1:-1], start=1):
        if op not in OPS:
            raise ArchError(f"{at}NB101 op {k} {op!r} is not one of {', '.join(OPS)}")
        interior.append(OPS.index(op))
    return Cell(tuple(tuple(int(b) for b in row) for row in m.tolist()), tuple(interior))


# --------------------------------------------------------------------------- pruning and validity


def prune(cell: Cell) -> Cell | None:
    """Drop vertices not on an input→output path (NB101's ``ModelSpec._prune``); None if none remain."""
    n = cell.n
    fwd, stack = {0}, [0]
    while stack:
        v = stack.pop()
        for w in range(v + 1, n):
            if cell.matrix[v][w] and w not in fwd:
                fwd.add(w)
                stack.append(w)
    bwd, stack = {n - 1}, [n - 1]
    while stack:
        v = stack.pop()
        for u in range(v):
            if cell.matrix[u][v] and u not in bwd:
                bwd.add(u)
                stack.append(u)
    keep = sorted(fwd & bwd)
    if 0 not in keep or n - 1 not in keep:
        return None
    matrix = tuple(tuple(cell.matrix[i][j] for j in keep) for i in keep)
    return Cell(matrix, tuple(cell.ops[v - 1] for v in keep[1:-1]))


def check(cell: Cell, text: str = "") -> Cell:
    """The pruned cell if it is in NB101's space; ``ArchError`` saying why not otherwise."""
    shown = f"NB101 arch {text!r}" if text else f"NB101 cell {format_cell(cell)!r}"
    pruned = prune(cell)
    if pruned is None:
        raise ArchError(f"{shown}: no path from the input (vertex 0) to the output (vertex {cell.n - 1})")
    if pruned.n > MAX_VERTICES:
        raise ArchError(f"{shown}: {pruned.n} vertices after pruning; NB101 allows at most {MAX_VERTICES}")
    if pruned.num_edges() > MAX_EDGES:
        raise ArchError(
            f"{shown}: {pruned.num_edges()} edges after pruning ({edge_list(pruned)}); NB101 allows at most {MAX_EDGES}"
        )
    return pruned


def edge_list(cell: Cell) -> str:
    return " ".join(f"{i}->{j}" for i, j in cell.edges())


def is_valid(cell: Cell) -> bool:
    pruned = prune(cell)
    return pruned is not None and pruned.n <= MAX_VERTICES and pruned.num_edges() <= MAX_EDGES


# --------------------------------------------------------------------------- canonical form


def cell_of(text: object) -> Cell:
    """The canonical cell of a string (parsed, checked and pruned); cached."""
    if not isinstance(text, str):
        raise ArchError(f"an NB101 architecture is a string, got {type(text).__name__}: {text!r}")
    return _cell_of(text)


@functools.lru_cache(maxsize=1 << 16)
def _cell_of(text: str) -> Cell:
    return check(parse_raw(text), text)


def canonical(text: object) -> str:
    if not isinstance(text, str):
        raise ArchError(f"an NB101 architecture is a string, got {type(text).__name__}: {text!r}")
    return format_cell(cell_of(text))


def to_string(cell: Cell) -> str:
    """The canonical string of any cell in the space (pruned first)."""
    return format_cell(check(cell))


# --------------------------------------------------------------------------- NB101's hash


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1 << 16)
def graph_hash(cell: Cell) -> str:
    """NB101's isomorphism-invariant fingerprint of a pruned cell (``graph_util.hash_module``).

    Each vertex starts from the hash of its (out-degree, in-degree, label) with labels -1 for
    the input, -2 for the output and the op's index in ``OPS`` otherwise; then, once per
    vertex, every vertex rehashes its sorted in-neighbour hashes, its sorted out-neighbour
    hashes and its own. The fingerprint hashes the sorted final vertex hashes. The strings
    hashed are formatted as NB101 formats them, so the fingerprint is NB101's dataset key.
    """
    n = cell.n
    labels = [-1, *cell.ops, -2]
    ins = [sum(cell.matrix[i][j] for i in range(n)) for j in range(n)]
    outs = [sum(row) for row in cell.matrix]
    hashes = [_md5(str((outs[v], ins[v], labels[v]))) for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5(
                "".join(sorted(hashes[u] for u in range(n) if cell.matrix[u][v]))
                + "|"
                + "".join(sorted(hashes[w] for w in range(n) if cell.matrix[v][w]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


# --------------------------------------------------------------------------- moves


def padded(cell: Cell, ops: Sequence[int] = ()) -> Cell:
    """The cell on ``MAX_VERTICES`` vertices: unconnected vertices inserted before the output.

    ``ops`` are the ops of the inserted vertices (conv3x3 when not given); they matter only
    once a move connects them.
    """
    extra = MAX_VERTICES - cell.n
    new_ops = tuple(ops[:extra]) + (CONV3,) * (extra - len(ops[:extra]))
    n = MAX_VERTICES
    m = [[0] * n for _ in range(n)]
    for i, j in cell.edges():
        m[i][n - 1 if j == cell.n - 1 else j] = 1
    return Cell(tuple(map(tuple, m)), cell.ops + new_ops)


def _flip(cell: Cell, i: int, j: int) -> Cell:
    m = [list(r) for r in cell.matrix]
    m[i][j] = 1 - m[i][j]
    return Cell(tuple(map(tuple, m)), cell.ops)


def _set_op(cell: Cell, k: int, op: int) -> Cell:
    return Cell(cell.matrix, cell.ops[:k] + (op,) + cell.ops[k + 1 :])


def random_cell(rng: np.random.Generator) -> Cell:
    """A uniformly random 7-vertex matrix and op list, redrawn until it is in the space.

    This is NB101's own sampler (``random_spec`` in its example): uniform over valid specs, so
    isomorphism classes with many labelled forms are drawn more often.
    """
    n = MAX_VERTICES
    while True:
        bits = rng.integers(0, 2, size=(n, n))
        m = tuple(tuple(int(bits[i, j]) if j > i else 0 for j in range(n)) for i in range(n))
        cell = Cell(m, tuple(int(o) for o in rng.integers(0, len(OPS), size=n - 2)))
        if is_valid(cell):
            return prune(cell)


def mutate(cell: Cell, rng: np.random.Generator) -> Cell:
    """NB101's mutation: on the 7-vertex form, flip each edge bit with probability 1/7 and
    change each op with probability 1/5, redrawn until the result is a different valid cell."""
    n = MAX_VERTICES
    key = graph_hash(cell)
    base = padded(cell, tuple(int(o) for o in rng.integers(0, len(OPS), size=n - cell.n)))
    while True:
        cand = base
        for i in range(n - 1):
            for j in range(i + 1, n):
                if rng.random() < 1 / n:
                    cand = _flip(cand, i, j)
        for k in range(n - 2):
            if rng.random() < 1 / (n - 2):
                others = [o for o in range(len(OPS)) if o != cand.ops[k]]
                cand = _set_op(cand, k, others[int(rng.integers(len(others)))])
        if is_valid(cand):
            out = prune(cand)
            if graph_hash(out) != key:
                return out


def neighbour_cells(cell: Cell) -> list[Cell]:
    """Distinct valid cells one move away: change one op, flip one edge, or (so that the walk can
    grow) add a vertex of any op on a new path i→v→j; in a stable order, deduplicated by hash."""
    key = graph_hash(cell)
    seen = {key}
    out = []

    def add(cand: Cell) -> None:
        if is_valid(cand):
            c = prune(cand)
            h = graph_hash(c)
            if h not in seen:
                seen.add(h)
                out.append(c)

    for k in range(len(cell.ops)):
        for op in range(len(OPS)):
            if op != cell.ops[k]:
                add(_set_op(cell, k, op))
    for i in range(cell.n - 1):
        for j in range(i + 1, cell.n):
            add(_flip(cell, i, j))
    if cell.n < MAX_VERTICES:
        for p in range(1, cell.n):
            for op in range(len(OPS)):
                grown = _insert_vertex(cell, p, op)
                for i in range(p):
                    for j in range(p + 1, grown.n):
                        add(_flip(_flip(grown, i, p), p, j))
    return out


def _insert_vertex(cell: Cell, p: int, op: int) -> Cell:
    """The cell with an unconnected vertex of ``op`` inserted at position ``p`` (0 < p < n)."""
    old = [v if v < p else v + 1 for v in range(cell.n)]
    n = cell.n + 1
    m = [[0] * n for _ in range(n)]
    for i, j in cell.edges():
        m[old[i]][old[j]] = 1
    return Cell(tuple(map(tuple, m)), cell.ops[: p - 1] + (op,) + cell.ops[p - 1 :])


def crossover(a: Cell, b: Cell, rng: np.random.Generator, tries: int = 100) -> Cell:
    """Uniform crossover of the 7-vertex forms (each edge bit and each op from either parent),
    redrawn until valid; after ``tries`` failures, one of the parents."""
    pa, pb = padded(a), padded(b)
    n = MAX_VERTICES
    for _ in range(tries):
        pick = rng.integers(0, 2, size=(n, n))
        m = tuple(
            tuple((pa if pick[i, j] else pb).matrix[i][j] if j > i else 0 for j in range(n)) for i in range(n)
        )
        op_pick = rng.integers(0, 2, size=n - 2)
        ops = tuple((pa if op_pick[k] else pb).ops[k] for k in range(n - 2))
        cand = Cell(m, ops)
        if is_valid(cand):
            return prune(cand)
    return a if rng.random() < 0.5 else b


def sample_cells(n: int, rng: np.random.Generator) -> list[Cell]:
    """``n`` cells with distinct graph hashes, each drawn by ``random_cell``."""
    if n < 0:
        raise ArchError(f"cannot sample {n!r} NB101 cells")
    out, seen = [], set()
    while len(out) < n:
        cell = random_cell(rng)
        h = graph_hash(cell)
        if h not in seen:
            seen.add(h)
            out.append(cell)
    return out


# --------------------------------------------------------------------------- decision vector

EDGES_7: tuple[tuple[int, int], ...] = tuple(
    (i, j) for i in range(MAX_VERTICES) for j in range(i + 1, MAX_VERTICES)
)
N_DECISIONS = len(EDGES_7) + MAX_VERTICES - 2  # 21 edge bits, then 5 ops


def to_choices(cell: Cell) -> tuple[int, ...]:
    """The 7-vertex form's 21 edge bits (row by row) and 5 op indices; unused vertices (inserted
    unconnected before the output) read conv3x3."""
    p = padded(cell)
    return tuple(p.matrix[i][j] for i, j in EDGES_7) + p.ops


def cell_from_choices(picks: Sequence[int]) -> Cell:
    """The unpruned 7-vertex cell of a decision vector (``ArchError`` if it is malformed)."""
    picks = tuple(int(p) for p in picks)
    n_e = len(EDGES_7)
    if (
        len(picks) != N_DECISIONS
        or any(p not in (0, 1) for p in picks[:n_e])
        or any(not 0 <= p < len(OPS) for p in picks[n_e:])
    ):
        raise ArchError(
            f"NB101 choices are {n_e} edge bits (0/1) then {MAX_VERTICES - 2} op indices (0-{len(OPS) - 1}), "
            f"got {list(picks)}"
        )
    m = [[0] * MAX_VERTICES for _ in range(MAX_VERTICES)]
    for (i, j), bit in zip(EDGES_7, picks[:n_e]):
        m[i][j] = bit
    return Cell(tuple(map(tuple, m)), picks[n_e:])


def repair_choices(picks: Sequence[int], rng: np.random.Generator, max_steps: int = 200) -> tuple[int, ...]:
    """A valid decision vector near ``picks``: while there is no input→output path an absent edge
    is added, while the pruned cell has too many edges a present one is removed (each chosen at
    random); a fresh random cell if that has not worked after ``max_steps`` steps."""
    cell_from_choices(picks)  # malformed vectors are errors, not repairs
    n_e = len(EDGES_7)
    bits = [int(p) for p in picks[:n_e]]
    ops = tuple(int(p) for p in picks[n_e:])
    for _ in range(max_steps):
        cand = cell_from_choices((*bits, *ops))
        if is_valid(cand):
            return (*bits, *ops)
        pruned = prune(cand)
        want = 0 if pruned is None else 1
        idx = [k for k, b in enumerate(bits) if b == want]
        k = idx[int(rng.integers(len(idx)))]
        bits[k] = 1 - want
    return to_choices(random_cell(rng))
