"""RE: regularized (aging) evolution with the proxy as fitness.

Paper: Real et al., "Regularized Evolution for Image Classifier Architecture Search" (AAAI
2019), as used by WRCor (Jing et al., §"Search strategies", Tables 8–9, "RE-X": population
P = 64, tournament S = 10, mutation probability 1).

Algorithm: score P random architectures (the initial population, in arrival order). Each cycle
draws S members without replacement, takes the best by proxy as parent, mutates it with the
space's ``mutate`` (NB201: one edge gets a different op), scores the child, appends it and
removes the oldest member. The choice is the best architecture scored in the whole search.

Choices:

* Budget: the P initial architectures count, so a budget N scores P + (N − P) children (the
  WRCor code scores P + N; its paper's Algorithm 2 scores N). A child that was scored before
  costs nothing and still joins the population (aging as in Real et al.).
* The tournament's members are scored together in one call (free: all were scored before), so
  a population-relative proxy (vote, rank sum) compares exactly the contenders, as the WRCor
  code's pairwise-majority ``max`` does for its voting proxies.
* ``max_cycles`` (default 20 × budget) ends a search whose mutations keep finding architectures
  already scored (a small space, or a budget larger than what the walk can reach).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import Field, model_validator

from nas_harness.api import BudgetExhausted, PluginConfig, SearchHistory, Space, Strategy, hookimpl

from ._common import Tracker, argmax


class RegularizedEvolution(Strategy):
    name = "regularized_evolution"
    version = "1"
    abbreviation = "RE"
    summary = "aging evolution, tournament parent + space mutation (Real et al.; WRCor RE-X: P=64, S=10)"

    class Config(PluginConfig):
        population_size: int = Field(64, ge=1, description="P: size of the aging population")
        tournament_size: int = Field(10, ge=1, description="S: members drawn for each tournament")
        max_cycles: int | None = Field(None, ge=1, description="cap on cycles (default 20 × budget)")

        @model_validator(mode="after")
        def _tournament_fits(self):
            if self.tournament_size > self.population_size:
                raise ValueError(
                    f"tournament_size ({self.tournament_size}) exceeds population_size ({self.population_size})"
                )
            return self

    def search(
        self,
        space: Space,
        score_fn: Callable[[Sequence[str]], list[float]],
        budget: int,
        rng: np.random.Generator,
    ) -> SearchHistory:
        cfg = self.config
        size = space.size()
        p = min(cfg.population_size, budget, size if size is not None else budget)
        track = Tracker(score_fn, budget)
        population = deque(space.sample(p, rng))
        track(list(population))
        limit = cfg.max_cycles or 20 * budget
        try:
            for _ in range(limit):
                if track.remaining <= 0:
                    break
                s = min(cfg.tournament_size, len(population))
                picks = rng.choice(len(population), size=s, replace=False)
                contenders = [population[int(i)] for i in picks]
                parent = contenders[argmax(track(contenders))]
                child = space.mutate(parent, rng)
                track([child])
                population.append(child)
                population.popleft()
        except BudgetExhausted:
            pass
        return track.history()


@hookimpl
def nas_harness_strategies():
    return [RegularizedEvolution]
