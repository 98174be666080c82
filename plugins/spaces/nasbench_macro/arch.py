"""NAS-Bench-Macro architectures: eight layer choices, their index, canonical form and moves.

An architecture is eight digits, one per searchable layer, as the benchmark writes them:
``0`` = identity, ``1`` = MB3_K3 (MobileNetV2 block, expansion 3, 3×3 depthwise), ``2`` =
MB6_K5 (expansion 6, 5×5). The layers form three stages of 2, 3 and 3 layers; the first layer
of a stage halves the resolution and doubles the channels, so its identity is a strided 1×1
conv + BN, while an identity later in a stage is a no-op. Moving the later layers' identities
to the end of their stage therefore gives the same network: that is the canonical form (the
benchmark's ``get_real_arch``, which trained only canonical archs and copied their records),
and it is the isomorphism key (3,969 distinct networks among the 6,561 archs).

The index of an architecture is its position in the benchmark's enumeration
(``itertools.product`` over the digits, first layer slowest), i.e. the digits read in base 3.
"""

from __future__ import annotations

import functools

from nas_harness.api import ArchError

OPS: tuple[str, ...] = ("identity", "MB3_K3", "MB6_K5")
STAGES: tuple[int, ...] = (2, 3, 3)
N_LAYERS = sum(STAGES)  # 8
SIZE = len(OPS) ** N_LAYERS  # 6,561
STAGE_FIRST = tuple(sum(STAGES[:s]) for s in range(len(STAGES)))  # layers 0, 2, 5

Code = tuple[int, ...]


def to_string(code: Code) -> str:
    return "".join(str(d) for d in code)


def parse_code(text: object) -> Code:
    if not isinstance(text, str):
        raise ArchError(f"a NAS-Bench-Macro architecture is a string, got {type(text).__name__}: {text!r}")
    s = text.strip()
    if len(s) != N_LAYERS:
        raise ArchError(
            f"NAS-Bench-Macro arch {text!r}: expected {N_LAYERS} digits (one per layer, e.g. '01201120'), "
            f"found {len(s)} characters"
        )
    for k, ch in enumerate(s):
        if ch not in "012":
            raise ArchError(
                f"NAS-Bench-Macro arch {text!r}: layer {k} is {ch!r}; each layer is 0 (identity), "
                f"1 (MB3_K3) or 2 (MB6_K5)"
            )
    return tuple(int(ch) for ch in s)


def canonical_code(code: Code) -> Code:
    """Later-layer identities of each stage moved to the stage's end (same network)."""
    out: list[int] = []
    start = 0
    for n in STAGES:
        stage = code[start : start + n]
        rest = [d for d in stage[1:] if d != 0]
        out += [stage[0], *rest, *[0] * (n - 1 - len(rest))]
        start += n
    return tuple(out)


def index_of(code: Code) -> int:
    number = 0
    for d in code:
        number = number * len(OPS) + d
    return number


def code_at(index: int) -> Code:
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise ArchError(f"a NAS-Bench-Macro index is an integer in [0, {SIZE}), got {index!r}")
    i = index.__index__()
    if not 0 <= i < SIZE:
        raise ArchError(f"NAS-Bench-Macro index {i} is out of range [0, {SIZE})")
    digits = []
    for _ in range(N_LAYERS):
        i, d = divmod(i, len(OPS))
        digits.append(d)
    return tuple(reversed(digits))


def neighbour_codes(code: Code) -> list[Code]:
    """The codes one layer change away that are different networks (canonical form differs)."""
    key = canonical_code(code)
    seen = {key}
    out = []
    for k in range(N_LAYERS):
        for d in range(len(OPS)):
            if d != code[k]:
                cand = code[:k] + (d,) + code[k + 1 :]
                c = canonical_code(cand)
                if c not in seen:
                    seen.add(c)
                    out.append(cand)
    return out


@functools.lru_cache(maxsize=1)
def distinct_codes() -> tuple[Code, ...]:
    """The 3,969 canonical codes (one per distinct network), in index order."""
    return tuple(c for c in map(code_at, range(SIZE)) if canonical_code(c) == c)


def sample_codes(n: int, rng) -> list[Code]:
    """``n`` distinct networks drawn uniformly (without replacement) among the 3,969, each as
    its canonical code: correlations over the space should count each network once."""
    pool = distinct_codes()
    if not 0 <= n <= len(pool):
        raise ArchError(f"cannot sample {n!r} distinct NAS-Bench-Macro networks: there are {len(pool)}")
    return [pool[int(i)] for i in rng.choice(len(pool), size=n, replace=False)]


def mutate_code(code: Code, rng) -> Code:
    """One layer changed to another op, among the changes that make a different network."""
    options = neighbour_codes(code)
    return options[int(rng.integers(len(options)))]


def crossover_codes(a: Code, b: Code, rng) -> Code:
    """Uniform crossover: each layer's op from either parent."""
    pick = rng.integers(0, 2, size=N_LAYERS)
    return tuple(a[k] if pick[k] else b[k] for k in range(N_LAYERS))
