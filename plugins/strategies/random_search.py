"""R: random search, the best of N random architectures by proxy.

Papers: WRCor (Jing et al., "Zero-Shot NAS with Weighted Response Correlation", §"Search
strategies", Tables 8–9, "R-X"), NASWOT (Mellor et al., ICML 2021, best of N = 10 / 100) and
paper 004's "rk (N = 1000)" (Hsieh & Tsai, "Rank-based Training-Free NAS Algorithm").

Choices:

* The N architectures are distinct, drawn uniformly without replacement (``space.sample``).
  The WRCor code draws with replacement and scores repeats again; with a budget that counts
  distinct architectures a repeat would be free, so drawing distinct ones spends the budget.
* All N are scored in one call, so a population-relative proxy (a combinator: vote, rank sum)
  ranks exactly these N — with paper 004's rank sum that is its "rk" baseline.
* The choice is the largest score; ties go to the architecture drawn first.
* A budget larger than the space scores the whole space.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nas_harness.api import PluginConfig, SearchHistory, Space, Strategy, hookimpl

from ._common import Tracker


class RandomSearch(Strategy):
    name = "random"
    version = "1"
    abbreviation = "R"
    summary = "best of N uniformly sampled architectures by proxy (WRCor R-X, NASWOT best-of-N, paper 004 rk)"

    class Config(PluginConfig):
        pass

    def search(
        self,
        space: Space,
        score_fn: Callable[[Sequence[str]], list[float]],
        budget: int,
        rng: np.random.Generator,
    ) -> SearchHistory:
        size = space.size()
        n = budget if size is None else min(budget, size)
        track = Tracker(score_fn, budget)
        track(space.sample(n, rng))
        return track.history()


@hookimpl
def nas_harness_strategies():
    return [RandomSearch]
