"""What the cheats share: a stable arch-derived score (an honest random proxy's ρ)."""

from __future__ import annotations

import zlib

from nas_harness.api import Needs, Proxy


def arch_noise(arch: str) -> float:
    """A fixed pseudo-random score of ``arch``: what a proxy that knows nothing gets."""
    return zlib.crc32(arch.encode()) / 2**32


class CheatBase(Proxy):
    """The cheats' defaults: version 1, needs a model and the labelled batch."""

    version = "1"
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
