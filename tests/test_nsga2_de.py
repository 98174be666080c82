"""nsga2 with operators 'de': DE on ordered decisions, UX + mutation on the others (paper 003 §2.6)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np
import pytest

from nas_harness.plugins.strategies._nsga2_de import de_ux_children, mutate_unordered, ordered_flags

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pymoo") is None, reason="nsga2 needs pymoo")

SIZES = np.array([8, 6, 3, 4])  # width (ordered), depth (ordered), block type, kernel
ORDERED = np.array([True, True, False, False])


@dataclass(frozen=True)
class Decision:
    name: str
    options: tuple[str, ...]
    ordered: bool = False


def test_de_children_follow_r1_plus_f_times_r2_minus_r3_on_ordered_decisions_and_swap_the_others():
    rng = np.random.default_rng(0)
    m = 200
    parents = [np.stack([rng.integers(0, s, m) for s in SIZES], axis=1) for _ in range(4)]
    x, r1, r2, r3 = parents
    child = de_ux_children(x, r1, r2, r3, SIZES, ORDERED, rng, cr=1.0, f=0.8, swap_prob=0.5)
    expected = np.clip(np.rint(r1 + 0.8 * (r2 - r3)), 0, SIZES - 1)
    assert np.array_equal(child[:, ORDERED], expected[:, ORDERED])
    from_x = child[:, ~ORDERED] == x[:, ~ORDERED]
    from_r1 = child[:, ~ORDERED] == r1[:, ~ORDERED]
    assert (from_x | from_r1).all()
    differ = x[:, ~ORDERED] != r1[:, ~ORDERED]
    assert 0.35 < from_r1[differ].mean() < 0.65  # swap probability 0.5
    none = de_ux_children(x, r1, r2, r3, SIZES, ORDERED, rng, cr=0.0, f=0.8, swap_prob=0.0)
    changed = (none != x)[:, ORDERED].sum(axis=1)
    assert (changed <= 1).all()  # CR = 0: only the one forced position can take the mutant
    assert ((0 <= child) & (child < SIZES)).all()


def test_mutation_changes_exactly_one_unordered_decision_and_leaves_ordered_ones_to_de():
    rng = np.random.default_rng(1)
    X = np.stack([rng.integers(0, s, 50) for s in SIZES], axis=1)
    Y = mutate_unordered(X, SIZES, ORDERED, rng)
    assert np.array_equal(X[:, ORDERED], Y[:, ORDERED])
    assert ((X != Y).sum(axis=1) == 1).all()


def test_ordered_flags_come_from_the_decisions():
    decisions = tuple(
        Decision(f"d{i}", tuple("abcdefgh"[:s]), bool(o)) for i, (s, o) in enumerate(zip(SIZES, ORDERED))
    )
    assert np.array_equal(ordered_flags(decisions), ORDERED)
    assert not ordered_flags(tuple(Decision(d.name, d.options, False) for d in decisions)).any()


class OrderedSpace:
    """A toy space of 8 widths × 6 depths (ordered) × 3 block types × 4 kernels; params grow
    with width and depth; the score prefers width 5, depth 4, type 2, kernel 1."""

    name = "ordered_toy"

    def choices(self):
        return tuple((f"d{i}", tuple(str(o) for o in range(s))) for i, s in enumerate(SIZES))

    def decisions(self):
        return tuple(Decision(name, opts, bool(o)) for (name, opts), o in zip(self.choices(), ORDERED))

    def size(self):
        return int(np.prod(SIZES))

    def to_choices(self, arch):
        return tuple(int(v) for v in arch.split("-"))

    def from_choices(self, picks):
        return "-".join(str(int(p)) for p in picks)

    def repair(self, picks, rng):
        return tuple(int(p) for p in picks)  # every vector is an architecture

    def sample(self, n, rng):
        idx = rng.choice(self.size(), n, replace=False)
        return [self.from_choices(np.unravel_index(i, SIZES)) for i in idx]

    def cost(self, arch):
        from nas_harness.api import Cost

        w, d, t, k = self.to_choices(arch)
        return Cost(params=(w + 1) * 1000 * (d + 1), flops=0)


def toy_score(arch: str) -> float:
    w, d, t, k = (int(v) for v in arch.split("-"))
    return -((w - 5) ** 2) - (d - 4) ** 2 - 3 * (t != 2) - 2 * (k != 1)


def test_nsga2_with_de_operators_finds_the_best_architecture_within_a_params_budget():
    from nas_harness.plugins.strategies.nsga2 import NSGA2

    space = OrderedSpace()
    limit = 6 * 1000 * 5  # width 5, depth 4 is exactly at the limit
    seen: list[str] = []

    def score_fn(archs):
        seen.extend(a for a in archs if a not in seen)
        return [toy_score(a) for a in archs]

    cfg = NSGA2.Config(
        population_size=20,
        operators="de",
        maximize_cost=True,
        max_cost=limit,
        crossover_prob=1.0,
        mutation_prob=0.8,
    )
    history = NSGA2(cfg).search(space, score_fn, 250, np.random.default_rng(0))
    assert len(set(history.archs)) <= 250 and set(history.archs) == set(seen)
    assert space.cost(history.chosen).params <= limit
    assert history.chosen == "5-4-2-1", history.chosen
