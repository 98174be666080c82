"""Search strategies on a toy space with a known optimum: they find it, repeat themselves for a
seed, and never score more architectures than their budget."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from scipy.stats import rankdata
from search_toy import GridSpace, accuracy, best_arch
from toy import ToySpace

from nas_harness.api import BudgetExhausted, HarnessError, Strategy
from nas_harness.host import PluginHost
from nas_harness.plugins.strategies.genetic import Genetic
from nas_harness.plugins.strategies.nsga2 import NSGA2
from nas_harness.plugins.strategies.random_search import RandomSearch
from nas_harness.plugins.strategies.regularized_evolution import RegularizedEvolution
from nas_harness.plugins.strategies.reinforce import Reinforce
from nas_harness.plugins.strategies.simulated_annealing import SimulatedAnnealing
from nas_harness.search_view import ScoreFn, Scorer, SearchSpaceView

SPACE = GridSpace()
needs_pymoo = pytest.mark.skipif(
    importlib.util.find_spec("pymoo") is None, reason="nsga2 needs pymoo (pip install 'pymoo>=0.6.1')"
)
BUILTIN = ("random", "regularized_evolution", "reinforce", "simulated_annealing", "genetic", "nsga2")

# (strategy, budget) pairs that find the optimum of the 256-arch grid; the small-space settings
# (population 10, lr 0.1) stand in for the paper's NB201 settings.
FINDERS = [
    pytest.param(RandomSearch(), 256, id="random"),
    pytest.param(
        RegularizedEvolution(RegularizedEvolution.Config(population_size=10, tournament_size=3)), 120, id="re"
    ),
    pytest.param(Reinforce(Reinforce.Config(lr=0.1, max_stale_steps=50)), 120, id="rl"),
    pytest.param(SimulatedAnnealing(), 100, id="sa"),
    pytest.param(SimulatedAnnealing(SimulatedAnnealing.Config(acceptance="greedy")), 100, id="sa-greedy"),
    pytest.param(
        SimulatedAnnealing(SimulatedAnnealing.Config(acceptance="metropolis")), 200, id="sa-metropolis"
    ),
    pytest.param(Genetic(Genetic.Config(population_size=10, max_stale_generations=10)), 100, id="ga"),
    pytest.param(NSGA2(NSGA2.Config(population_size=10)), 120, id="nsga2", marks=needs_pymoo),
]


def exact(archs):
    return np.array([accuracy(a) for a in archs])


def ranked(archs):
    """A population-relative score: the rank of each arch's accuracy within the call."""
    return rankdata(exact(archs))


def run(strategy: Strategy, budget: int, seed: int, evaluate=exact, relative=False, space=SPACE):
    scorer = Scorer(evaluate, budget, relative=relative, parse=space.parse)
    view, score_fn = SearchSpaceView(space, "toy"), ScoreFn(scorer)
    try:
        history = strategy.search(view, score_fn, budget, np.random.default_rng(seed))
    finally:
        view.close()
        score_fn.close()
    return history, scorer


def test_builtin_strategies_are_registered_with_metadata():
    host = PluginHost.discover()
    assert not [w for w in host.warnings if "strateg" in w], host.warnings
    for name in BUILTIN:
        info = host.get("strategy", name)
        assert info.distribution == "nas-harness"
        cls = info.cls
        assert cls.summary and cls.version and cls.abbreviation
        doc = __import__(cls.__module__, fromlist=["_"]).__doc__
        assert "Paper" in doc and "Choices" in doc or "Algorithm" in doc, (
            f"{name}: docstring cites its paper and choices"
        )


@pytest.mark.parametrize("strategy, budget", FINDERS)
def test_finds_the_optimum_when_the_score_is_the_accuracy(strategy, budget):
    for seed in range(5):
        history, scorer = run(strategy, budget, seed)
        assert history.chosen == best_arch(), (seed, history.chosen)
        assert scorer.used <= budget
        assert set(history.archs) == set(scorer.order)


@pytest.mark.parametrize(
    "strategy, budget",
    [
        pytest.param(RandomSearch(), 256, id="random"),
        pytest.param(
            RegularizedEvolution(RegularizedEvolution.Config(population_size=10, tournament_size=3)),
            120,
            id="re",
        ),
        pytest.param(Reinforce(Reinforce.Config(lr=0.1)), 120, id="rl"),  # ranks saturate: slower
        pytest.param(SimulatedAnnealing(), 100, id="sa"),
        pytest.param(Genetic(Genetic.Config(population_size=10, max_stale_generations=10)), 100, id="ga"),
        pytest.param(NSGA2(NSGA2.Config(population_size=10)), 120, id="nsga2", marks=needs_pymoo),
    ],
)
def test_finds_the_optimum_with_a_population_relative_score(strategy, budget):
    """Scores that are only ranks within each call (as a vote or rank sum gives) work too."""
    for seed in range(3):
        history, _ = run(strategy, budget, seed, evaluate=ranked, relative=True)
        assert history.chosen == best_arch(), (seed, history.chosen)


@pytest.mark.parametrize("strategy, budget", FINDERS)
def test_a_seed_fixes_the_search(strategy, budget):
    first, _ = run(strategy, budget // 2, seed=7)
    second, _ = run(strategy, budget // 2, seed=7)
    assert first.archs == second.archs and first.chosen == second.chosen
    other, _ = run(strategy, budget // 2, seed=8)
    assert other.archs != first.archs


@pytest.mark.parametrize("budget", [1, 2, 7, 25, 60])
@pytest.mark.parametrize("name", [n if n != "nsga2" else pytest.param(n, marks=needs_pymoo) for n in BUILTIN])
def test_the_budget_is_never_exceeded(name, budget):
    strategy = PluginHost.discover().get("strategy", name).cls()
    history, scorer = run(strategy, budget, seed=budget)
    assert 1 <= scorer.used <= budget
    assert len(history.archs) == scorer.used
    assert history.chosen in history.archs


def test_score_fn_refuses_a_call_that_does_not_fit_and_scores_nothing():
    scorer = Scorer(exact, budget=5, parse=SPACE.parse)
    score_fn = ScoreFn(scorer)
    archs = SPACE.sample(8, np.random.default_rng(0))
    assert score_fn(archs[:3]) == list(exact(archs[:3]))
    with pytest.raises(BudgetExhausted, match="3 new architectures asked for, 2 of 5 left"):
        score_fn(archs[3:6])
    assert scorer.used == 3 and score_fn.remaining == 2
    assert score_fn(archs[:3] + archs[:1]) == list(exact(archs[:3] + archs[:1]))  # re-queries are free
    assert score_fn.used == 3
    score_fn(archs[3:5])
    assert score_fn.remaining == 0 and score_fn.scored(archs[4]) and not score_fn.scored(archs[5])


def test_failed_scores_come_back_as_minus_infinity_and_are_never_chosen():
    def flaky(archs):
        return np.array([np.nan if a == best_arch() else accuracy(a) for a in archs])

    history, _ = run(RandomSearch(), 256, seed=0, evaluate=flaky)
    assert history.chosen != best_arch()
    assert history.scores[history.archs.index(best_arch())] == float("-inf")


def test_reinforce_needs_choices_and_says_so():
    with pytest.raises(HarnessError, match="reinforce.*decision vector.*space .toy. has none"):
        run(Reinforce(), 20, seed=0, space=ToySpace())


def test_strategies_without_choices_still_run_on_a_space_without_them():
    for strategy in (
        RandomSearch(),
        RegularizedEvolution(RegularizedEvolution.Config(population_size=5, tournament_size=2)),
        SimulatedAnnealing(),
        Genetic(Genetic.Config(population_size=5)),
    ):
        history, scorer = run(
            strategy, 20, seed=0, evaluate=lambda a: np.array([float(x[1:]) for x in a]), space=ToySpace()
        )
        assert scorer.used <= 20 and history.chosen in history.archs


def test_simulated_annealing_last_returns_the_last_neighbourhood_best():
    strategy = SimulatedAnnealing(SimulatedAnnealing.Config(result="last", restart=False))
    history, _ = run(strategy, 200, seed=3)
    assert history.chosen == best_arch()  # a single peak: the walk ends on it and stays


@needs_pymoo
def test_nsga2_returns_the_pareto_front_and_respects_max_cost():
    history, _ = run(NSGA2(NSGA2.Config(population_size=10)), 120, seed=0)
    assert history.chosen == best_arch()
    cost = {a: SPACE.cost(a, "toy").params for a in history.archs}
    score = dict(zip(history.archs, history.scores))
    front = history.front
    assert front and best_arch() in front
    for a in front:  # nothing scored dominates a front member
        assert not any(
            score[b] >= score[a] and cost[b] <= cost[a] and (score[b], cost[b]) != (score[a], cost[a])
            for b in history.archs
        )
    limited, _ = run(NSGA2(NSGA2.Config(population_size=10, max_cost=150)), 120, seed=0)
    limit_cost = {a: SPACE.cost(a, "toy").params for a in limited.archs}
    assert limit_cost[limited.chosen] <= 150
    best_within = max((s, a) for a, s in zip(limited.archs, limited.scores) if limit_cost[a] <= 150)
    assert limited.scores[limited.archs.index(limited.chosen)] == best_within[0]


def test_config_errors_are_plain_validation_errors():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="tournament_size"):
        RegularizedEvolution.Config(population_size=4, tournament_size=10)
    with pytest.raises(ValidationError, match="final_temperature"):
        SimulatedAnnealing.Config(initial_temperature=1, final_temperature=2)
    with pytest.raises(ValidationError, match="extra"):
        Reinforce.Config(learning_rate=0.1)
