"""TransNAS-Bench-101 architecture strings: the micro (cell) and macro (skeleton) spaces.

An architecture is the benchmark's network code ``<base>-<macro>-<micro>``:

* **micro** — ``64-41414-a_bc_def``: the fixed skeleton ``41414`` and a cell of four nodes
  where node j sums one edge from every earlier node; the digits are the ops of edges
  0→1 | 0→2, 1→2 | 0→3, 1→3, 2→3 (NB201's edge order): 0 = zero, 1 = skip, 2 = ReLU-conv1×1-BN,
  3 = ReLU-conv3×3-BN. 4^6 = 4,096 cells. A code is the six digits; its index is the code read as
  a base-4 number, first edge most significant, which is the row order of the benchmark's
  published table (``tnb101_micro_val.csv``; the benchmark defines no other order).
* **macro** — ``64-<digits>-basic``: 4 to 6 layers of two ResNet basic blocks each; a layer's
  digit says what its first block does: 1 = nothing, 2 = double the channels, 3 = halve the
  resolution, 4 = both. Valid skeletons have 1–4 down-samplings (digits 3/4) and 1–3 channel
  doublings (digits 2/4): 210 + 750 + 2,296 = 3,256. Index = the published table's row order,
  the codes sorted as strings (``enumerate_macro``; the tests check it against the CSV).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence

import numpy as np

from nas_harness.api import ArchError

BASE = 64
MICRO_SKELETON = "41414"

# ---------------------------------------------------------------------------- micro

MICRO_OPS: tuple[str, ...] = ("none", "skip_connect", "conv_1x1", "conv_3x3")
N_NODES = 4
EDGES: tuple[tuple[int, int], ...] = tuple((i, j) for j in range(1, N_NODES) for i in range(j))
MICRO_SIZE = len(MICRO_OPS) ** len(EDGES)  # 4,096
MicroCode = tuple[int, ...]

_MICRO_RE = re.compile(r"(\d+)-(\d+)-([0-3])_([0-3]{2})_([0-3]{3})")


def micro_to_string(code: MicroCode) -> str:
    d = "".join(map(str, code))
    return f"{BASE}-{MICRO_SKELETON}-{d[0]}_{d[1:3]}_{d[3:6]}"


def parse_micro(text: object) -> MicroCode:
    """``64-41414-a_bc_def`` (or the six digits ``abcdef``, or NASLib's tuple) → code."""
    if isinstance(text, (tuple, list)):
        digits = [int(x) for x in text]
    elif isinstance(text, str):
        s = text.strip()
        m = _MICRO_RE.fullmatch(s)
        if m is not None:
            if m.group(1) != str(BASE) or m.group(2) != MICRO_SKELETON:
                raise ArchError(f"TNB101 micro arch {text!r}: the micro space is {BASE}-{MICRO_SKELETON}-…")
            digits = [int(c) for c in "".join(m.groups()[2:])]
        elif re.fullmatch(r"[0-3]{6}", s):
            digits = [int(c) for c in s]
        elif re.fullmatch(r"\(\s*[0-3](\s*,\s*[0-3]){5}\s*\)", s):
            digits = [int(c) for c in re.findall(r"[0-3]", s)]
        else:
            raise ArchError(
                f"TNB101 micro arch {text!r} must be {BASE}-{MICRO_SKELETON}-a_bc_def with op digits 0-3 "
                "(0 none, 1 skip, 2 conv1x1, 3 conv3x3), e.g. 64-41414-3_33_333"
            )
    else:
        raise ArchError(f"a TNB101 micro arch is a string, got {type(text).__name__}: {text!r}")
    if len(digits) != len(EDGES) or not all(0 <= d < len(MICRO_OPS) for d in digits):
        raise ArchError(f"TNB101 micro arch {text!r}: expected 6 op digits in 0..3, got {digits}")
    return tuple(digits)


def micro_index(code: MicroCode) -> int:
    n = 0
    for d in code:
        n = n * len(MICRO_OPS) + d
    return n


def micro_at(index: int) -> MicroCode:
    if isinstance(index, bool) or not hasattr(index, "__index__") or not 0 <= index.__index__() < MICRO_SIZE:
        raise ArchError(f"TNB101 micro index {index!r} is not in [0, {MICRO_SIZE})")
    n, digits = index.__index__(), []
    for _ in EDGES:
        n, d = divmod(n, len(MICRO_OPS))
        digits.append(d)
    return tuple(reversed(digits))


def micro_neighbours(code: MicroCode) -> list[MicroCode]:
    return [
        code[:e] + (op,) + code[e + 1 :]
        for e in range(len(EDGES))
        for op in range(len(MICRO_OPS))
        if op != code[e]
    ]


def micro_iso_key(code: MicroCode) -> str:
    """Nodes as expressions of the input: ``none`` or a zero source gives ``#``; a skip from an
    intermediate node is the identity (a skip from the input stays an op, since in the first
    block of a down-sampling layer it is a strided factorized reduction); convs wrap their
    source. Zero propagates (a node whose terms are all ``#`` is ``#``). Key = node 3."""
    exprs = ["x"]
    for j in range(1, N_NODES):
        terms = []
        for e, (i, jj) in enumerate(EDGES):
            if jj != j:
                continue
            op, src = code[e], exprs[i]
            if op == 0 or src == "#":
                terms.append("#")
            elif op == 1 and i > 0:
                terms.append(src)
            else:
                terms.append(f"{MICRO_OPS[op]}({src})")
        live = sorted(t for t in terms if t != "#")
        exprs.append("+".join(live) if live else "#")
    return exprs[-1]


# ---------------------------------------------------------------------------- macro

MACRO_DIGITS = "1234"
MACRO_LAYERS = (4, 5, 6)
DOWN = frozenset("34")
WIDEN = frozenset("24")
_MACRO_RE = re.compile(r"(\d+)-([1-4]{4,6})-basic")


def macro_valid(code: str) -> bool:
    n_down = sum(c in DOWN for c in code)
    n_wide = sum(c in WIDEN for c in code)
    return (
        len(code) in MACRO_LAYERS and set(code) <= set(MACRO_DIGITS) and 1 <= n_down <= 4 and 1 <= n_wide <= 3
    )


def _why_invalid(code: str) -> str:
    n_down = sum(c in DOWN for c in code)
    n_wide = sum(c in WIDEN for c in code)
    return (
        f"{len(code)} layers (4-6 allowed), {n_down} down-sampling layers (digits 3/4; 1-4 allowed), "
        f"{n_wide} channel-doubling layers (digits 2/4; 1-3 allowed)"
    )


@functools.lru_cache(maxsize=1)
def enumerate_macro() -> tuple[str, ...]:
    """Every valid skeleton, sorted as strings (``111114`` < ``11114`` < ``111141``): the row
    order of the benchmark's published macro table."""
    out = []
    for n in MACRO_LAYERS:
        out += ["".join(p) for p in itertools.product(MACRO_DIGITS, repeat=n) if macro_valid("".join(p))]
    return tuple(sorted(out))


@functools.lru_cache(maxsize=1)
def _macro_index() -> dict[str, int]:
    return {c: i for i, c in enumerate(enumerate_macro())}


MACRO_SIZE = 3256


def macro_to_string(code: str) -> str:
    return f"{BASE}-{code}-basic"


def parse_macro(text: object) -> str:
    """``64-<4–6 digits>-basic`` (or the digits alone, or NASLib's zero-padded tuple) → digits."""
    if isinstance(text, (tuple, list)):
        code = "".join(str(int(x)) for x in text if int(x) != 0)
    elif isinstance(text, str):
        s = text.strip()
        m = _MACRO_RE.fullmatch(s)
        if m is not None:
            if m.group(1) != str(BASE):
                raise ArchError(f"TNB101 macro arch {text!r}: the base width is {BASE}")
            code = m.group(2)
        elif re.fullmatch(r"[1-4]{4,6}", s):
            code = s
        elif re.fullmatch(r"\(\s*[0-4](\s*,\s*[0-4]){3,5}\s*\)", s):
            code = "".join(c for c in re.findall(r"[0-4]", s) if c != "0")
        else:
            raise ArchError(
                f"TNB101 macro arch {text!r} must be {BASE}-<4 to 6 digits 1-4>-basic "
                "(1 keep, 2 double channels, 3 halve resolution, 4 both), e.g. 64-41414-basic"
            )
    else:
        raise ArchError(f"a TNB101 macro arch is a string, got {type(text).__name__}: {text!r}")
    if not macro_valid(code):
        raise ArchError(f"TNB101 macro arch {text!r} is not in the space: {_why_invalid(code)}")
    return code


def macro_index(code: str) -> int:
    return _macro_index()[code]


def macro_at(index: int) -> str:
    if isinstance(index, bool) or not hasattr(index, "__index__") or not 0 <= index.__index__() < MACRO_SIZE:
        raise ArchError(f"TNB101 macro index {index!r} is not in [0, {MACRO_SIZE})")
    return enumerate_macro()[index.__index__()]


def macro_neighbours(code: str) -> list[str]:
    """Valid skeletons one edit away: a layer's digit changed, a layer inserted or removed."""
    cands: dict[str, None] = {}
    for i in range(len(code)):
        for d in MACRO_DIGITS:
            if d != code[i]:
                cands[code[:i] + d + code[i + 1 :]] = None
        cands[code[:i] + code[i + 1 :]] = None
    for i in range(len(code) + 1):
        for d in MACRO_DIGITS:
            cands[code[:i] + d + code[i:]] = None
    return [c for c in cands if c != code and macro_valid(c)]


def macro_crossover(a: str, b: str, rng: np.random.Generator) -> str:
    """One-point crossover of the layer lists, retried until valid (else a parent)."""
    for _ in range(20):
        i = int(rng.integers(len(a) + 1))
        j = int(rng.integers(len(b) + 1))
        child = a[:i] + b[j:]
        if macro_valid(child):
            return child
    return a if rng.random() < 0.5 else b


# Decisions: six layer slots, options "-" (no layer) or a digit; "-" only in trailing slots.
MACRO_SLOT_OPTIONS: tuple[str, ...] = ("-",) + tuple(MACRO_DIGITS)


def macro_to_choices(code: str) -> tuple[int, ...]:
    padded = code + "-" * (max(MACRO_LAYERS) - len(code))
    return tuple(MACRO_SLOT_OPTIONS.index(c) for c in padded)


def macro_from_choices(picks: Sequence[int]) -> str:
    p = [int(x) for x in picks]
    if len(p) != max(MACRO_LAYERS) or not all(0 <= x < len(MACRO_SLOT_OPTIONS) for x in p):
        raise ArchError(
            f"TNB101 macro choices are {max(MACRO_LAYERS)} option indices in 0..4, got {list(picks)!r}"
        )
    s = "".join(MACRO_SLOT_OPTIONS[x] for x in p)
    code = s.rstrip("-")
    if "-" in code or not macro_valid(code):
        raise ArchError(
            f"TNB101 macro choices {list(picks)!r} give {s!r}: not a valid skeleton ({_why_invalid(code.replace('-', ''))})"
        )
    return code


def macro_repair(picks: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
    """Make a decision vector valid: drop gaps, then fix layer count, down-sampling and widening
    counts by the fewest random digit changes."""
    code = "".join(MACRO_SLOT_OPTIONS[int(x)] for x in picks).replace("-", "")
    digits = list(code)
    while len(digits) < min(MACRO_LAYERS):
        digits.insert(int(rng.integers(len(digits) + 1)), "1")
    for _ in range(50):
        c = "".join(digits)
        if macro_valid(c):
            return macro_to_choices(c)
        n_down = sum(x in DOWN for x in digits)
        n_wide = sum(x in WIDEN for x in digits)
        i = int(rng.integers(len(digits)))
        d = digits[i]
        down, wide = d in DOWN, d in WIDEN
        if n_down < 1 and not down:
            down = True
        elif n_down > 4 and down:
            down = False
        elif n_wide < 1 and not wide:
            wide = True
        elif n_wide > 3 and wide:
            wide = False
        else:
            continue
        digits[i] = {(False, False): "1", (False, True): "2", (True, False): "3", (True, True): "4"}[
            (down, wide)
        ]
    raise ArchError(f"cannot repair TNB101 macro choices {list(picks)!r}")
