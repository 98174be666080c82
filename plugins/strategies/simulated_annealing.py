"""SA: simulated annealing with rank-based scoring of each neighbourhood (paper 004's SA-rk).

Paper: Hsieh & Tsai, "Rank-based Training-Free NAS Algorithm" (2023 draft), Algorithm 2.
Starting from a random architecture s, each iteration ranks {s} ∪ U(s) — U(s) the space's
``neighbours`` (NB201: the 24 single-edge op changes) — by the proxy, takes the rank-best s*,
and moves s ← s* with a temperature-dependent probability; I iterations per temperature, the
temperature T cooled by α until it falls to τ. With paper 004's rank-sum combinator (``rk``)
as the proxy, the score of each call *is* Algorithm 1's ranking of {s} ∪ U(s); with a single
proxy the ranking is by that proxy.

The paper gives no value for T, τ, α or I; the defaults here are ours, chosen so that on NB201
a budget of 1,000 ends the search before the schedule does (135 temperatures × 10
iterations): ``initial_temperature`` 10 and ``final_temperature`` 0.01 are in units of rank
(ΔE is a difference of ranks among at most |U(s)| + 1 = 25), ``cooling`` 0.95,
``iterations`` 10.

Choices the paper leaves open (see the spec's ambiguity list):

* ``acceptance``:
  ``literal`` (default) — as printed: draw x ~ U(0, 1) and move when x ≥ exp(ΔE / T), with
  ΔE = r(s*) − r(s) ≤ 0 (so moves become likelier as T falls);
  ``greedy`` — the "intended Metropolis" reading: s* is never worse than s, so always move;
  ``metropolis`` — textbook SA on the same ranks: a uniformly random neighbour c is accepted
  when r(c) ≤ r(s), else with probability exp(−(r(c) − r(s)) / T).
* ``result``: ``best`` (default; the protocol's rule, "the best by proxy among the explored",
  from one ranking of every architecture scored) or ``last`` (the printed algorithm: the last
  neighbourhood's s*).
* ``restart`` (default on; not in the paper): under ``literal`` and ``greedy`` a walker whose s
  is the best of its own neighbourhood can never move again; it then continues from a random
  architecture, so the budget is spent rather than left unused. Off gives the printed
  algorithm, which stays put.
* Ties in the ranking share their average rank; s is listed first, so a neighbour merely tied
  with s is not a move. Failed scores rank last.
* Budget: each iteration scores the architectures of {s} ∪ U(s) not scored before; when they
  do not all fit in what is left, the search ends (a budget smaller than the first
  neighbourhood scores s and as many neighbours as fit).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from nas_harness.api import BudgetExhausted, PluginConfig, SearchHistory, Space, Strategy, hookimpl

from ._common import Tracker, descending_ranks


class SimulatedAnnealing(Strategy):
    name = "simulated_annealing"
    version = "1"
    abbreviation = "SA"
    summary = "simulated annealing ranking {s} ∪ U(s) each step (paper 004 SA-rk); T, τ, α, I exposed"

    class Config(PluginConfig):
        initial_temperature: float = Field(10.0, gt=0, description="T, in rank units")
        final_temperature: float = Field(0.01, gt=0, description="τ: stop when T ≤ τ")
        cooling: float = Field(0.95, gt=0, lt=1, description="α: T ← α·T after each temperature")
        iterations: int = Field(10, ge=1, description="I: iterations per temperature")
        acceptance: Literal["literal", "greedy", "metropolis"] = "literal"
        result: Literal["best", "last"] = "best"
        restart: bool = Field(True, description="jump to a random arch when the walker can never move")

        @model_validator(mode="after")
        def _schedule(self):
            if self.final_temperature >= self.initial_temperature:
                raise ValueError("final_temperature must be below initial_temperature")
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
        current = space.sample(1, rng)[0]
        last_best = current
        temperature = cfg.initial_temperature
        try:
            while temperature > cfg.final_temperature:
                for _ in range(cfg.iterations):
                    group = list(dict.fromkeys([current, *space.neighbours(current)]))
                    if not track.fits(group):
                        if not track.order:  # a budget smaller than one neighbourhood
                            track(group[: track.remaining])
                        raise BudgetExhausted("the next neighbourhood does not fit in the budget")
                    ranks = descending_ranks(track(group))
                    star = int(np.argmin(ranks))  # first among ties: s itself when s ties the best
                    last_best = group[star]
                    current = self._step(group, ranks, star, temperature, rng, space)
                temperature *= cfg.cooling
        except BudgetExhausted:
            pass
        return track.history(chosen=last_best if cfg.result == "last" else None)

    def _step(self, group, ranks, star, temperature, rng, space) -> str:
        cfg = self.config
        s = group[0]
        if cfg.acceptance == "metropolis":
            if len(group) == 1:
                return s
            c = 1 + int(rng.integers(len(group) - 1))
            delta = float(ranks[c] - ranks[0])
            if delta <= 0 or rng.random() < math.exp(-delta / temperature):
                return group[c]
            return s
        if star == 0:  # s is the best of its neighbourhood: this rule can never move it
            return space.sample(1, rng)[0] if cfg.restart else s
        if cfg.acceptance == "greedy":
            return group[star]
        delta = float(ranks[star] - ranks[0])  # < 0
        return group[star] if rng.random() >= math.exp(delta / temperature) else s


@hookimpl
def nas_harness_strategies():
    return [SimulatedAnnealing]
