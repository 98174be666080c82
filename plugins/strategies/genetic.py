"""GA: a generational genetic algorithm with the proxy (or its rank) as fitness.

Papers: paper 004 (Hsieh & Tsai, "Rank-based Training-Free NAS Algorithm") reports "GA-rk" but
does not describe it; it cites "A training-free genetic NAS" (ACM ICEA 2021). This is a
textbook generational GA (Holland 1975; Goldberg 1989), stated in full here:

* Population of ``population_size`` random architectures.
* Each generation scores the whole population in one call (free after the first time; a
  population-relative proxy such as paper 004's rank sum ``rk`` then ranks exactly this
  population, as GA-rk presumably did) and keeps the ``elite`` best unchanged.
* Each other child: two parents by tournament (``tournament_size`` members drawn without
  replacement, the best wins); with probability ``crossover_prob`` the space's ``crossover``
  (the contract's default: uniform crossover of the decision vectors, each decision from either
  parent with probability 1/2, then the space's ``repair``; a graph space may define its own),
  otherwise a copy of the first parent; then with probability ``mutation_prob`` the space's
  ``mutate``. A space that offers no crossover (``NotImplementedError``) gets mutation only.
* The choice is the best architecture scored in the whole search.

Budget: children not scored before are charged when their generation is scored; when they do
not all fit in what is left, the generation keeps the ones that fit and the search ends after
scoring it. A generation that brings nothing new is free; ``max_stale_generations`` of them
in a row end the search (the population has converged).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from pydantic import Field, model_validator

from nas_harness.api import BudgetExhausted, PluginConfig, SearchHistory, Space, Strategy, hookimpl

from ._common import Tracker, argmax


class Genetic(Strategy):
    name = "genetic"
    version = "1"
    abbreviation = "GA"
    summary = "generational GA: elitism, tournament selection, the space's crossover and mutation"

    class Config(PluginConfig):
        population_size: int = Field(50, ge=2)
        elite: int = Field(2, ge=0, description="best members copied unchanged to the next generation")
        tournament_size: int = Field(3, ge=1)
        crossover_prob: float = Field(0.9, ge=0, le=1, description="apply the space's crossover")
        mutation_prob: float = Field(0.5, ge=0, le=1, description="apply the space's mutate once")
        max_stale_generations: int = Field(
            50, ge=1, description="stop after this many generations with nothing new"
        )

        @model_validator(mode="after")
        def _sizes(self):
            if self.elite >= self.population_size:
                raise ValueError(
                    f"elite ({self.elite}) must be below population_size ({self.population_size})"
                )
            if self.tournament_size > self.population_size:
                raise ValueError("tournament_size exceeds population_size")
            return self

    def search(
        self,
        space: Space,
        score_fn: Callable[[Sequence[str]], list[float]],
        budget: int,
        rng: np.random.Generator,
    ) -> SearchHistory:
        cfg = self.config
        track = Tracker(score_fn, budget)
        size = space.size()
        n = min(cfg.population_size, budget, size if size is not None else budget)
        crossover = True  # until the space says it has none
        population = space.sample(n, rng)
        stale = 0
        try:
            while True:
                fitness = track(population)
                if track.remaining <= 0 or stale >= cfg.max_stale_generations:
                    break
                order = np.argsort(-np.where(np.isfinite(fitness), fitness, -np.inf), kind="stable")
                children = [population[int(i)] for i in order[: min(cfg.elite, len(population))]]
                while len(children) < cfg.population_size:
                    a = self._tournament(population, fitness, rng)
                    b = self._tournament(population, fitness, rng)
                    child = a
                    if crossover and rng.random() < cfg.crossover_prob:
                        try:
                            child = space.crossover(a, b, rng)
                        except NotImplementedError:
                            crossover = False
                    if rng.random() < cfg.mutation_prob:
                        child = space.mutate(child, rng)
                    if not track.fits([*children, child]):
                        break
                    children.append(child)
                stale = stale + 1 if track.cost(children) == 0 else 0
                population = children
        except BudgetExhausted:
            pass
        return track.history()

    def _tournament(self, population: list[str], fitness: np.ndarray, rng: np.random.Generator) -> str:
        k = min(self.config.tournament_size, len(population))
        picks = rng.choice(len(population), size=k, replace=False)
        return population[int(picks[argmax(fitness[picks])])]


@hookimpl
def nas_harness_strategies():
    return [Genetic]
