"""NATS-Bench size-space (SSS) encoding: channel strings, the official index order, moves.

An architecture is five channel widths ``C1:C2:C3:C4:C5``, each from {8, 16, …, 64}: the output
widths of the network's five layers (cell, residual block, cell, residual block, cell; see
``model.py``). NATS-Bench numbers the 8^5 = 32,768 configurations as a base-8 number with the
first layer most significant and width w as digit w/8 − 1, so index 0 is ``8:8:8:8:8``, index 1
``8:8:8:8:16`` and index 32,767 ``64:64:64:64:64`` (checked against the NATS archive's
``meta_archs`` and the shared table's ``index``/``arch`` columns in the tests).

Internally an architecture is a *code*: five digits in 0..7 (width = 8·(digit + 1)).
"""

from __future__ import annotations

import functools

from nas_harness.api import ArchError

WIDTHS: tuple[int, ...] = tuple(range(8, 65, 8))  # 8, 16, …, 64
N_LAYERS = 5
SIZE = len(WIDTHS) ** N_LAYERS  # 32,768
LAYER_NAMES: tuple[str, ...] = tuple(f"C{i}" for i in range(1, N_LAYERS + 1))

Code = tuple[int, ...]


def to_string(code: Code) -> str:
    return ":".join(str(WIDTHS[d]) for d in code)


def widths(code: Code) -> tuple[int, ...]:
    return tuple(WIDTHS[d] for d in code)


def to_index(code: Code) -> int:
    index = 0
    for d in code:
        index = index * len(WIDTHS) + d
    return index


def from_index(index: object) -> Code:
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise ArchError(f"a NATS-SSS index is an integer in [0, {SIZE}), got {index!r}")
    i = index.__index__()
    if not 0 <= i < SIZE:
        raise ArchError(f"NATS-SSS index {i} is out of range [0, {SIZE})")
    digits = []
    for _ in range(N_LAYERS):
        i, d = divmod(i, len(WIDTHS))
        digits.append(d)
    return tuple(reversed(digits))


@functools.lru_cache(maxsize=65536)
def parse_code(text: object) -> Code:
    """Code of ``C1:C2:C3:C4:C5``; ``ArchError`` names what is wrong.

    Surrounding whitespace is ignored; each width must be one of 8, 16, …, 64 written as a
    plain decimal number.
    """
    if not isinstance(text, str):
        raise ArchError(
            f"a NATS-SSS architecture is a string C1:C2:C3:C4:C5, got {type(text).__name__}: {text!r}"
        )
    parts = text.strip().split(":")
    if len(parts) != N_LAYERS:
        raise ArchError(
            f"NATS-SSS arch {text!r}: expected {N_LAYERS} channel widths joined by ':' (e.g. 64:32:48:8:16), "
            f"found {len(parts)}"
        )
    code = []
    for name, part in zip(LAYER_NAMES, parts):
        if not part.isdigit() or int(part) not in WIDTHS:
            raise ArchError(
                f"NATS-SSS arch {text!r}: {name} = {part!r} is not one of {', '.join(map(str, WIDTHS))}"
            )
        code.append(WIDTHS.index(int(part)))
    return tuple(code)


def canonical(text: object) -> str:
    return to_string(parse_code(text))


def neighbour_codes(code: Code) -> list[Code]:
    """The 35 codes that differ from ``code`` in exactly one layer's width (layer-major)."""
    out = []
    for layer in range(N_LAYERS):
        for d in range(len(WIDTHS)):
            if d != code[layer]:
                out.append(code[:layer] + (d,) + code[layer + 1 :])
    return out


def from_choices(picks: object) -> Code:
    """A code from one width index per layer; ``ArchError`` if the vector is not one."""
    try:
        code = tuple(int(p) for p in picks)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise ArchError(f"NATS-SSS choices are {N_LAYERS} width indices in 0..7, got {picks!r}") from exc
    if len(code) != N_LAYERS or not all(0 <= d < len(WIDTHS) for d in code):
        raise ArchError(
            f"NATS-SSS choices are {N_LAYERS} width indices in 0..{len(WIDTHS) - 1}, got {list(code)!r}"
        )
    return code
