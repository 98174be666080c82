"""The benchmark's list of networks: the space is exactly the 2,507 rows of ``nbmr.csv``.

Index i is row i of the file (its ``index`` column, checked equal). Moves stay inside the list:
they measure distance between networks on the 27-number embedding with every component scaled
by its standard deviation over the list (channel counts and block counts then weigh alike),
Euclidean.

* ``neighbours(i, k)``: the k nearest listed networks (ties by index);
* ``mutate``: one of the ``k`` nearest, uniformly;
* ``crossover(a, b)``: each embedding component from a or b with probability 1/2, then the
  nearest listed network to that vector (it may be a or b).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nas_harness.api import ArchError, HarnessError, shared_path

from . import arch as A


@dataclass(frozen=True)
class Listing:
    path: Path
    codes: tuple[str, ...]
    index: dict[str, int]
    scaled: np.ndarray  # (n, 27) embeddings / per-component std

    def __len__(self) -> int:
        return len(self.codes)

    def lookup(self, arch: str) -> int:
        i = self.index.get(arch)
        if i is None:
            i = self.index.get(A.canonical(arch))
        if i is None:
            raise ArchError(
                f"NAS-Bench-MR code {arch!r} is a valid network but not one of the {len(self)} listed in {self.path}"
            )
        return i

    def distances(self, vector: np.ndarray) -> np.ndarray:
        return np.sqrt(((self.scaled - vector) ** 2).sum(axis=1))

    def nearest(self, i: int, k: int) -> list[int]:
        d = self.distances(self.scaled[i])
        d[i] = np.inf
        order = np.lexsort((np.arange(len(d)), d))
        return [int(j) for j in order[:k]]

    def crossover(self, a: int, b: int, rng: np.random.Generator) -> int:
        take_a = rng.random(self.scaled.shape[1]) < 0.5
        child = np.where(take_a, self.scaled[a], self.scaled[b])
        d = self.distances(child)
        return int(np.lexsort((np.arange(len(d)), d))[0])


@functools.lru_cache(maxsize=4)
def load(path: str) -> Listing:
    import pandas as pd

    file = shared_path(path)
    if not file.is_file():
        raise HarnessError(
            f"space 'nbmr' lists its networks from {file} (config 'path'), which does not exist; "
            "set NASH_SHARED_DIR or give the file's path"
        )
    frame = pd.read_csv(file, usecols=["index", "code"])
    if frame["index"].tolist() != list(range(len(frame))):
        raise HarnessError(f"space 'nbmr': {file} column 'index' must be 0, 1, 2, … in row order")
    codes = []
    for row, text in enumerate(frame["code"].tolist()):
        try:
            codes.append(A.canonical(text))
        except ArchError as exc:
            raise HarnessError(f"space 'nbmr': {file} line {row + 2}: {exc}") from exc
    index = {c: i for i, c in enumerate(codes)}
    if len(index) != len(codes):
        raise HarnessError(f"space 'nbmr': {file} lists a code more than once")
    emb = np.array([A.embedding(A.parse(c)) for c in codes], dtype=float)
    std = emb.std(axis=0)
    scaled = emb / np.where(std > 0, std, 1.0)
    return Listing(file, tuple(codes), index, scaled)
