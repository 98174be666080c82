"""Offspring operators of FT-ScoreNet's search (paper 003 §2.6): DE for ordered decisions,
uniform crossover and mutation for the others.

Pure numpy on decision vectors (one option index per decision), so the operators are tested
without pymoo. An ordered decision's options are in increasing order (channels, depth), so
differences of indices mean something there; for the others only swaps do.
"""

from __future__ import annotations

import numpy as np


def ordered_flags(decisions) -> np.ndarray:
    """Which decisions are ordered (``Decision.ordered``; options on a scale)."""
    return np.array([bool(d.ordered) for d in decisions], dtype=bool)


def de_ux_children(
    x: np.ndarray,
    r1: np.ndarray,
    r2: np.ndarray,
    r3: np.ndarray,
    sizes: np.ndarray,
    ordered: np.ndarray,
    rng: np.random.Generator,
    cr: float = 0.8,
    f: float = 0.8,
    swap_prob: float = 0.5,
) -> np.ndarray:
    """One child per row (matings × decisions).

    Ordered decisions: DE/rand/1/bin, mutant = r1 + F·(r2 − r3) rounded and clipped to the
    options, taken where U < CR (and at one forced ordered position per child), else x's
    value. Unordered decisions: uniform crossover of x and r1, each taken from r1 with
    probability ``swap_prob``.
    """
    x, r1, r2, r3 = (np.asarray(a, dtype=int) for a in (x, r1, r2, r3))
    child = x.copy()
    m, n = x.shape
    swap = (rng.random((m, n)) < swap_prob) & ~ordered
    child[swap] = r1[swap]
    idx = np.flatnonzero(ordered)
    if idx.size:
        mutant = np.rint(r1 + f * (r2 - r3)).astype(int)
        mutant = np.clip(mutant, 0, np.asarray(sizes) - 1)
        take = (rng.random((m, n)) < cr) & ordered
        take[np.arange(m), rng.choice(idx, size=m)] = True
        child[take] = mutant[take]
    return child


def mutate_unordered(
    X: np.ndarray, sizes: np.ndarray, ordered: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Each row gets one unordered decision changed to another option (ordered ones are left
    to DE); rows stay as they are when every decision is ordered."""
    X = np.array(X, dtype=int, copy=True)
    free = [d for d in np.flatnonzero(~ordered) if sizes[d] > 1]
    if not free:
        return X
    for row in X:
        d = free[int(rng.integers(len(free)))]
        others = [o for o in range(sizes[d]) if o != row[d]]
        row[d] = others[int(rng.integers(len(others)))]
    return X
