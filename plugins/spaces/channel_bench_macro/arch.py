"""Channel-Bench-Macro architectures: seven width choices, their index and moves.

An architecture is seven digits from 1 to 4, one per searchable width, as the benchmark
writes them: digit ``d`` is the width ratio ``d/4`` (0.25, 0.5, 0.75, 1.0) of that width's
maximum. Every one of the 4^7 = 16,384 strings is a distinct network (no isomorphisms).

The benchmark defines no enumeration of its own (its results are a JSON object keyed by
string), so the index is the data files' row order, which is the lexicographic order of the
strings: the digits minus one read in base 4, first width slowest.
"""

from __future__ import annotations

from nas_harness.api import ArchError

RATIOS: tuple[str, ...] = ("0.25", "0.5", "0.75", "1.0")
N_WIDTHS = 7
SIZE = len(RATIOS) ** N_WIDTHS  # 16,384

Code = tuple[int, ...]  # option indices 0..3 (= digit - 1)


def to_string(code: Code) -> str:
    return "".join(str(d + 1) for d in code)


def parse_code(text: object) -> Code:
    if not isinstance(text, str):
        raise ArchError(
            f"a Channel-Bench-Macro architecture is a string, got {type(text).__name__}: {text!r}"
        )
    s = text.strip()
    if len(s) != N_WIDTHS:
        raise ArchError(
            f"Channel-Bench-Macro arch {text!r}: expected {N_WIDTHS} digits (one width ratio per layer, "
            f"e.g. '1234123'), found {len(s)} characters"
        )
    for k, ch in enumerate(s):
        if ch not in "1234":
            raise ArchError(
                f"Channel-Bench-Macro arch {text!r}: width {k} is {ch!r}; each width is a digit 1-4 "
                f"(ratio 0.25, 0.5, 0.75 or 1.0 of its maximum)"
            )
    return tuple(int(ch) - 1 for ch in s)


def index_of(code: Code) -> int:
    number = 0
    for d in code:
        number = number * len(RATIOS) + d
    return number


def code_at(index: int) -> Code:
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise ArchError(f"a Channel-Bench-Macro index is an integer in [0, {SIZE}), got {index!r}")
    i = index.__index__()
    if not 0 <= i < SIZE:
        raise ArchError(f"Channel-Bench-Macro index {i} is out of range [0, {SIZE})")
    digits = []
    for _ in range(N_WIDTHS):
        i, d = divmod(i, len(RATIOS))
        digits.append(d)
    return tuple(reversed(digits))


def neighbour_codes(code: Code) -> list[Code]:
    """Every code with one width changed to another ratio (21 neighbours)."""
    return [
        code[:k] + (d,) + code[k + 1 :] for k in range(N_WIDTHS) for d in range(len(RATIOS)) if d != code[k]
    ]


def sample_codes(n: int, rng) -> list[Code]:
    if not 0 <= n <= SIZE:
        raise ArchError(f"cannot sample {n!r} distinct Channel-Bench-Macro architectures: there are {SIZE}")
    return [code_at(int(i)) for i in rng.choice(SIZE, size=n, replace=False)]


def mutate_code(code: Code, rng) -> Code:
    """One width changed to another ratio, uniformly among the 21 such changes."""
    options = neighbour_codes(code)
    return options[int(rng.integers(len(options)))]


def crossover_codes(a: Code, b: Code, rng) -> Code:
    """Uniform crossover: each width from either parent."""
    pick = rng.integers(0, 2, size=N_WIDTHS)
    return tuple(a[k] if pick[k] else b[k] for k in range(N_WIDTHS))
