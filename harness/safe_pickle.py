"""Reading messages from a sandboxed process without letting it run code in the driver.

``pickle.loads`` calls whatever globals a pickle names, so a plugin running in a sandboxed
process could write a crafted pickle to its pipe and have the driver (which holds the oracles)
execute it. ``loads`` here resolves only the globals listed in ``ALLOWED``: plain containers and
numbers need none; NumPy scalars, arrays and random generators (a strategy passes its
``Generator`` to the space's moves) are rebuilt by NumPy's own constructors. Anything else is an
``UnpicklingError`` naming the global.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

ALLOWED = frozenset(
    {
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy.random._pickle", "__generator_ctor"),
        ("numpy.random._pickle", "__bit_generator_ctor"),
        ("numpy.random._pcg64", "PCG64"),
        ("numpy.random._pcg64", "PCG64DXSM"),
        ("numpy.random._mt19937", "MT19937"),
        ("numpy.random._philox", "Philox"),
        ("numpy.random._sfc64", "SFC64"),
    }
)


class _Restricted(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, allowed: frozenset):
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a message from a sandbox")
        return super().find_class(module, name)


def loads(data: bytes, also: frozenset = frozenset()) -> Any:
    """The value pickled in ``data``, built from containers, numbers, strings and NumPy only, plus
    the plain-data classes ``also`` names as (module, name) (a scoring worker's ``ScoreRecord``)."""
    return _Restricted(io.BytesIO(data), ALLOWED | also).load()
