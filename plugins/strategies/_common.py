"""Small helpers shared by the built-in strategies (they use the public contract only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nas_harness.api import SearchHistory

ScoreFn = Callable[[Sequence[str]], list[float]]


class Tracker:
    """Calls ``score_fn`` and remembers which architectures were scored, in order.

    A strategy uses it to know what a call will cost (only new architectures count) without
    relying on anything but the ``budget`` it was given.
    """

    def __init__(self, score_fn: ScoreFn, budget: int):
        self.score_fn = score_fn
        self.budget = budget
        self.order: list[str] = []
        self._seen: set[str] = set()

    @property
    def remaining(self) -> int:
        return self.budget - len(self.order)

    def cost(self, archs: Sequence[str]) -> int:
        """How many new architectures scoring ``archs`` would charge to the budget."""
        return len({a for a in archs if a not in self._seen})

    def fits(self, archs: Sequence[str]) -> bool:
        return self.cost(archs) <= self.remaining

    def __call__(self, archs: Sequence[str]) -> np.ndarray:
        values = np.asarray(self.score_fn(list(archs)), dtype=float)
        for a in archs:
            if a not in self._seen:
                self._seen.add(a)
                self.order.append(a)
        return values

    def seen(self, arch: str) -> bool:
        return arch in self._seen

    def history(self, chosen: str | None = None) -> SearchHistory:
        """Every architecture scored, with its score from one call over all of them.

        Scoring them together is free (nothing is new) and makes population-relative scores
        (a combinator's vote or rank sum) comparable; the chosen one is the best of that call
        unless the strategy chose otherwise. Ties go to the one scored first.
        """
        if not self.order:
            raise RuntimeError("the search scored no architecture (budget 0?)")
        values = self(self.order)
        best = self.order[argmax(values)]
        return SearchHistory(
            archs=list(self.order),
            scores=[float(v) for v in values],
            chosen=chosen if chosen is not None else best,
        )


def argmax(values: Sequence[float]) -> int:
    """Index of the largest value, the first one among ties; -inf and NaN never win over a number."""
    arr = np.asarray(values, dtype=float)
    arr = np.where(np.isnan(arr), -np.inf, arr)
    return int(np.argmax(arr))


def descending_ranks(values: Sequence[float]) -> np.ndarray:
    """Rank 1 = largest value; ties share their average rank (failed scores rank last)."""
    from scipy.stats import rankdata

    arr = np.asarray(values, dtype=float)
    arr = np.where(np.isfinite(arr), arr, -np.inf)
    return rankdata(-arr, method="average")
