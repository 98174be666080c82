"""NSGA-II: two objectives at once, maximize the proxy and minimize the cost (params or FLOPs).

Paper: Deb et al., "A fast and elitist multiobjective genetic algorithm: NSGA-II" (IEEE TEVC
2002); FT-ScoreNet (paper 003) searches with NSGA-II (+ DE) under a parameter limit. The
algorithm is pymoo's ``NSGA2`` (Blank & Deb, "pymoo: Multi-Objective Optimization in Python",
IEEE Access 2020), driven through its ask/tell interface so that every evaluation goes
through the budgeted ``score_fn``; pymoo is an optional dependency (``pip install pymoo``).

Encoding and operators: an architecture is its option index per decision of the space's
``decisions()`` (NB201: 6 edges × 5 ops; a graph space: edge bits and node ops); the initial
population is ``space.sample``; crossover is pymoo's uniform crossover (``crossover_prob``);
mutation gives one random decision a different option (with probability ``mutation_prob`` per
child, like the space's own mutation on NB201); duplicates within a generation are removed by
pymoo. An offspring vector that is not an architecture is replaced by the space's ``repair``
of it (in the population too, so NSGA-II compares what was scored), never dropped. A space
without ``decisions()`` cannot be searched by this encoding: a ``HarnessError`` names the
strategy and the space. Survival is NSGA-II's
non-dominated sorting with crowding distance; parents by binary tournament on dominance and
crowding. An architecture whose proxy failed is infeasible (a violated constraint), so it
never survives ahead of a feasible one.

Choices:

* Each generation scores the surviving population and the offspring together in one call
  (free for architectures scored before), so a population-relative proxy (vote, rank sum)
  ranks exactly the set NSGA-II compares.
* Budget: offspring not scored before are charged; when they do not all fit, the generation
  keeps those that fit and the search ends.
* The choice (one architecture, as the protocol reports) is the best by proxy on the Pareto
  front of everything scored whose cost is at most ``max_cost`` (no limit by default, which
  picks the best by proxy overall); if nothing is within ``max_cost``, the cheapest
  architecture scored. The front is returned with the history.
* pymoo's random generator is seeded from the search's generator, so a seed fixes the run.
* ``operators: de`` is FT-ScoreNet's search (paper 003 §2.6): decisions the space marks ordered
  (``Decision.ordered``) get DE/rand/1/bin (``de_cr``, ``de_f``, values rounded and clipped),
  the others uniform crossover (``ux_swap_prob``) and the one-decision mutation
  (``mutation_prob``; the paper's rates are 0.5 and 0.8); four parents per child by the same
  binary tournament. With ``maximize_cost`` (the paper maximizes params too, under a budget)
  an architecture over ``max_cost`` is infeasible, like a failed one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import Field

from nas_harness.api import (
    BudgetExhausted,
    HarnessError,
    PluginConfig,
    SearchHistory,
    Space,
    Strategy,
    hookimpl,
)

from ._common import Tracker
from ._nsga2_de import de_ux_children, mutate_unordered, ordered_flags


class ParetoHistory(SearchHistory):
    """A search history with the Pareto front (proxy vs cost) of everything scored."""

    front: list[str]
    cost: str


class NSGA2(Strategy):
    name = "nsga2"
    version = "1"
    abbreviation = "NSGA-II"
    summary = "NSGA-II (pymoo) maximizing the proxy and minimizing params or FLOPs over the space's decisions"

    class Config(PluginConfig):
        population_size: int = Field(50, ge=4)
        cost: Literal["params", "flops"] = Field("params", description="the second objective, minimized")
        max_cost: float | None = Field(None, gt=0, description="pick the best proxy with cost ≤ this")
        crossover_prob: float = Field(0.9, ge=0, le=1)
        mutation_prob: float = Field(
            1.0, ge=0, le=1, description="chance that a child gets one decision changed"
        )
        max_stale_generations: int = Field(
            50, ge=1, description="stop after this many generations with nothing new"
        )
        operators: Literal["ux", "de"] = Field(
            "ux", description="'de': DE on ordered decisions + UX/mutation on the others (paper 003 §2.6)"
        )
        de_cr: float = Field(0.8, ge=0, le=1, description="DE crossover rate (paper 003: 0.8)")
        de_f: float = Field(0.8, gt=0, le=2, description="DE scale factor F (paper 003: 0.8)")
        ux_swap_prob: float = Field(
            0.5, ge=0, le=1, description="'de': UX swap probability per unordered decision"
        )
        maximize_cost: bool = Field(
            False,
            description="maximize the cost too (paper 003: score and params both maximized under max_cost, "
            "which then makes an architecture over the limit infeasible)",
        )

    def search(
        self,
        space: Space,
        score_fn: Callable[[Sequence[str]], list[float]],
        budget: int,
        rng: np.random.Generator,
    ) -> SearchHistory:
        try:
            from pymoo.algorithms.moo.nsga2 import NSGA2 as PymooNSGA2
            from pymoo.core.crossover import Crossover
            from pymoo.core.evaluator import Evaluator
            from pymoo.core.mutation import Mutation
            from pymoo.core.problem import Problem
            from pymoo.core.sampling import Sampling
            from pymoo.core.termination import NoTermination
            from pymoo.operators.crossover.ux import UniformCrossover
            from pymoo.problems.static import StaticProblem
        except ImportError as exc:
            raise HarnessError("strategy 'nsga2' needs pymoo: pip install 'pymoo>=0.6.1'") from exc

        decisions = space.decisions()
        if not decisions:
            raise HarnessError(
                f"strategy {self.name!r} needs a space with a decision vector (Space.decisions()); space "
                f"{space.name!r} has none (random, regularized_evolution, simulated_annealing and genetic "
                "need only sample/mutate/neighbours/crossover)"
            )
        cfg = self.config
        sizes = np.array([len(d.options) for d in decisions])
        track = Tracker(score_fn, budget)
        costs: dict[str, float] = {}

        def cost_of(arch: str) -> float:
            if arch not in costs:
                c = space.cost(arch)
                costs[arch] = float(c.params if cfg.cost == "params" else c.flops)
            return costs[arch]

        size = space.size()
        n_init = min(cfg.population_size, budget, size if size is not None else budget)

        class FromSpace(Sampling):
            def _do(self, problem, n_samples, *args, random_state=None, **kwargs):
                return np.array([space.to_choices(a) for a in space.sample(n_init, rng)], dtype=int)

        ordered = ordered_flags(decisions) if cfg.operators == "de" else np.zeros(len(sizes), dtype=bool)

        class OneDecision(Mutation):
            def _do(self, problem, X, *args, random_state=None, **kwargs):
                if cfg.operators == "de":
                    return mutate_unordered(X, sizes, ordered, random_state)
                X = np.array(X, dtype=int, copy=True)
                for row in X:
                    d = int(random_state.integers(len(sizes)))
                    others = [o for o in range(sizes[d]) if o != row[d]]
                    if others:
                        row[d] = others[int(random_state.integers(len(others)))]
                return X

        class DifferentialUX(Crossover):
            def __init__(self, prob):
                super().__init__(n_parents=4, n_offsprings=1, prob=prob)

            def _do(self, problem, X, *args, random_state=None, **kwargs):
                child = de_ux_children(
                    *X, sizes, ordered, random_state, cfg.de_cr, cfg.de_f, cfg.ux_swap_prob
                )
                return child[None]

        problem = Problem(
            n_var=len(sizes), n_obj=2, n_ieq_constr=1, xl=np.zeros(len(sizes)), xu=sizes - 1, vtype=int
        )
        algorithm = PymooNSGA2(
            pop_size=cfg.population_size,
            sampling=FromSpace(),
            crossover=(
                DifferentialUX(cfg.crossover_prob)
                if cfg.operators == "de"
                else UniformCrossover(prob=cfg.crossover_prob)
            ),
            mutation=OneDecision(prob=cfg.mutation_prob),
            eliminate_duplicates=True,
        )
        algorithm.setup(
            problem, termination=NoTermination(), seed=int(rng.integers(2**31 - 1)), verbose=False
        )

        def archs_of(pop) -> list[str]:
            return [space.from_choices([int(v) for v in x]) for x in pop.get("X")]

        def repaired(pop) -> None:
            """Rows that are not architectures become the space's repair of them (in place)."""
            X = pop.get("X")
            fixed = np.array([space.repair([int(v) for v in x], rng) for x in X], dtype=int)
            if not np.array_equal(fixed, X):
                pop.set("X", fixed.astype(X.dtype, copy=False))

        def objectives(values: np.ndarray, archs: list[str]) -> tuple[np.ndarray, np.ndarray]:
            ok = np.isfinite(values)
            c = np.array([cost_of(a) for a in archs])
            if cfg.maximize_cost:
                ok &= c <= (cfg.max_cost if cfg.max_cost is not None else np.inf)
                c = -c
            f = np.column_stack([np.where(ok, -values, 0.0), c])
            g = np.where(ok, -1.0, 1.0)[:, None]
            return f, g

        stale = 0
        try:
            while track.remaining > 0 and stale < cfg.max_stale_generations:
                offspring = algorithm.ask()
                if offspring is None or len(offspring) == 0:
                    break
                repaired(offspring)
                off_archs = archs_of(offspring)
                keep = 0
                while keep < len(off_archs) and track.fits(off_archs[: keep + 1]):
                    keep += 1
                if keep == 0:
                    break
                offspring, off_archs = offspring[:keep], off_archs[:keep]
                stale = stale + 1 if track.cost(off_archs) == 0 else 0
                survivors = (
                    archs_of(algorithm.pop) if algorithm.pop is not None and len(algorithm.pop) else []
                )
                values = track([*survivors, *off_archs])
                if survivors:  # population-relative scores change with the set: refresh them
                    f, g = objectives(values[: len(survivors)], survivors)
                    algorithm.pop.set("F", f)
                    algorithm.pop.set("G", g)
                f, g = objectives(values[len(survivors) :], off_archs)
                Evaluator().eval(StaticProblem(problem, F=f, G=g), offspring)
                algorithm.tell(infills=offspring)
        except BudgetExhausted:
            pass
        history = track.history()
        front, chosen = self._pick(history, cost_of)
        return ParetoHistory(**{**history.model_dump(), "chosen": chosen}, front=front, cost=cfg.cost)

    def _pick(self, history: SearchHistory, cost_of: Callable[[str], float]) -> tuple[list[str], str]:
        from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

        archs = history.archs
        values = np.asarray(history.scores, dtype=float)
        costs = np.array([cost_of(a) for a in archs])
        ok = np.flatnonzero(np.isfinite(values))
        if ok.size == 0:
            return [], archs[int(np.argmin(costs))]
        f = np.column_stack([-values[ok], costs[ok]])
        front_idx = ok[NonDominatedSorting().do(f, only_non_dominated_front=True)]
        front_idx = front_idx[np.lexsort((costs[front_idx], -values[front_idx]))]
        front = [archs[int(i)] for i in front_idx]
        limit = self.config.max_cost
        within = [int(i) for i in front_idx if limit is None or costs[i] <= limit]
        if within:
            return front, archs[within[0]]
        return front, archs[int(np.argmin(costs))]


@hookimpl
def nas_harness_strategies():
    return [NSGA2]
