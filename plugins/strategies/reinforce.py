"""RL: REINFORCE over the space's decision vector, rewarded by the normalized proxy score.

Papers: Williams, "Simple statistical gradient-following algorithms for connectionist
reinforcement learning" (Machine Learning 1992), as used by WRCor (Jing et al., §"Search
strategies", Tables 8–9, "RL-X": Adam, lr 1e-3, exponential-moving-average reward baseline with
momentum 0.9; reward = the proxy score z-normalized with the mean and std of 100 random
architectures scored before the search).

Controller: one categorical distribution per decision of ``space.decisions()`` (NB201: 6 edges ×
5 ops; a graph space: its edge bits and node ops), independent learnable logits initialized as
``init_std`` × N(0, 1). Each step samples one option per decision, has the space ``repair`` the
vector (a sampled vector that is not an architecture, e.g. a graph with no input→output path,
becomes the nearest valid one; never dropped), scores that architecture, and takes one Adam
step on ``-(R - b) · Σ log p(option)`` over the *sampled* options (the policy's action; repair
is part of the environment), where b is the bias-corrected moving average of the rewards,
updated with R before it is used (as in the NB201 and WRCor reference code). A step whose
reward is not finite (a failed score, a zero std) is skipped. The choice is the best
architecture scored in the whole search, the reference architectures included.

Choices:

* The reference architectures count against the budget (they are proxy evaluations); the
  WRCor code scores its 100 outside N. At most a tenth of the budget is used for them, so a
  small budget still leaves room to search. ``reference_archs: 0`` rewards the raw score.
* Each step scores the new architecture together with the reference set in one call (the
  reference costs nothing after the first call), so a population-relative proxy (vote, rank
  sum) gives the new architecture's standing within the reference set, which is then
  z-normalized against the reference's own values.
* Options are sampled with the search's numpy generator (so a seed fixes the run); torch only
  computes the gradient and runs Adam.
* ``max_steps`` (default 20 × budget) and ``max_stale_steps`` (default 500 steps in a row
  that sample only architectures scored before, which are free) end a search whose
  controller has converged.
* A space without ``decisions()`` cannot host this controller (there is no sound fallback
  on sample/mutate): the strategy raises a ``HarnessError`` naming itself and the space.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


class EMABaseline:
    """Bias-corrected exponential moving average of the rewards."""

    def __init__(self, momentum: float):
        self.momentum = momentum
        self.weighted = 0.0
        self.weight = 0.0

    def update(self, value: float) -> None:
        self.weighted = self.momentum * self.weighted + (1 - self.momentum) * value
        self.weight = self.momentum * self.weight + (1 - self.momentum)

    @property
    def value(self) -> float:
        return self.weighted / self.weight if self.weight else 0.0


class Reinforce(Strategy):
    name = "reinforce"
    version = "1"
    abbreviation = "RL"
    summary = (
        "REINFORCE over the space's decisions, Adam lr 1e-3, EMA baseline 0.9, z-scored rewards (WRCor RL-X)"
    )

    class Config(PluginConfig):
        lr: float = Field(1e-3, gt=0, description="Adam learning rate")
        ema_momentum: float = Field(0.9, ge=0, lt=1, description="momentum of the reward baseline")
        reference_archs: int = Field(
            100,
            ge=0,
            description="random archs whose score mean/std normalize the reward (≤ budget/10 are used)",
        )
        init_std: float = Field(1e-3, ge=0, description="logits start as init_std × N(0, 1)")
        max_steps: int | None = Field(None, ge=1, description="cap on controller steps (default 20 × budget)")
        max_stale_steps: int = Field(
            500, ge=1, description="stop after this many steps in a row with nothing new"
        )

    def search(
        self,
        space: Space,
        score_fn: Callable[[Sequence[str]], list[float]],
        budget: int,
        rng: np.random.Generator,
    ) -> SearchHistory:
        import torch

        decisions = space.decisions()
        if not decisions:
            raise HarnessError(
                f"strategy {self.name!r} needs a space with a decision vector (Space.decisions()); space "
                f"{space.name!r} has none (random, regularized_evolution, simulated_annealing and genetic "
                "need only sample/mutate/neighbours/crossover)"
            )
        cfg = self.config
        track = Tracker(score_fn, budget)
        size = space.size()
        n_ref = min(cfg.reference_archs, budget // 10, size if size is not None else budget)
        reference = space.sample(n_ref, rng) if n_ref else []
        logits = [
            torch.tensor(
                cfg.init_std * rng.standard_normal(len(decision.options)),
                dtype=torch.float64,
                requires_grad=True,
            )
            for decision in decisions
        ]
        optimizer = torch.optim.Adam(logits, lr=cfg.lr)
        baseline = EMABaseline(cfg.ema_momentum)
        try:
            if reference:
                track(reference)
            stale = 0
            for _ in range(cfg.max_steps or 20 * budget):
                if track.remaining <= 0 or stale >= cfg.max_stale_steps:
                    break
                picks = []
                with torch.no_grad():
                    for logit in logits:
                        probs = torch.softmax(logit, dim=0).numpy()
                        picks.append(int(rng.choice(len(probs), p=probs / probs.sum())))
                arch = space.from_choices(space.repair(picks, rng))
                stale = 0 if not track.seen(arch) else stale + 1
                reward = self._reward(track, reference, arch)
                if not np.isfinite(reward):
                    continue
                baseline.update(reward)
                advantage = reward - baseline.value
                log_prob = sum(torch.log_softmax(logit, dim=0)[pick] for logit, pick in zip(logits, picks))
                loss = -advantage * log_prob
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        except BudgetExhausted:
            pass
        return track.history()

    @staticmethod
    def _reward(track: Tracker, reference: list[str], arch: str) -> float:
        """The architecture's score, z-normalized by the reference set's scores of the same call."""
        if not reference:
            return float(track([arch])[0])
        values = track([*reference, arch])
        ref, own = values[:-1], float(values[-1])
        ref = ref[np.isfinite(ref)]
        if ref.size < 2 or not np.isfinite(own):
            return float("nan")
        std = float(ref.std())
        return (own - float(ref.mean())) / std if std > 0 else float("nan")


@hookimpl
def nas_harness_strategies():
    return [Reinforce]
