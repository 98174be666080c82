"""Strategies out of the driver: in the sandboxed strategy process a search draws the same numbers
and makes the same choices as in the driver, and a strategy that reaches for ground truth (a truth
file, an oracle in memory, the score store) or forges a message is stopped with its name."""

from __future__ import annotations

import os

import numpy as np
import pytest
from search_toy import AccuracyProxy, GridOracle, GridSpace

from nas_harness import sandbox
from nas_harness.api import HarnessError, SearchHistory, Strategy
from nas_harness.engine import Engine
from nas_harness.plugins.strategies.random_search import RandomSearch
from nas_harness.plugins.strategies.regularized_evolution import RegularizedEvolution
from nas_harness.plugins.strategies.simulated_annealing import SimulatedAnnealing
from nas_harness.protocols.search import oracle_objective, proxy_objective, search_once
from nas_harness.safe_pickle import loads
from nas_harness.scoring import ProxyJob, ScoringSetup
from nas_harness.store import ScoreStore
from nas_harness.strategy_sandbox import StrategyProcess

ok, why = sandbox.available()
pytestmark = pytest.mark.skipif(not ok, reason=f"sandbox unavailable: {why}")

TRUTH_FILE = os.environ.get("NASH_TEST_TRUTH", "")


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "scores.sqlite"
    with StrategyProcess(sandboxed=True, denied=[store]) as proc:
        yield proc


@pytest.fixture
def objective(tmp_path):
    store = ScoreStore(tmp_path / "scores.sqlite")
    yield proxy_objective(
        Engine(ScoringSetup(space=GridSpace(), dataset="toy"), store), ProxyJob(AccuracyProxy())
    )
    store.close()


STRATEGIES = [
    RandomSearch(),
    RegularizedEvolution(RegularizedEvolution.Config(population_size=8, tournament_size=3)),
    SimulatedAnnealing(),
]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.name)
def test_a_search_in_the_strategy_process_is_the_same_search_as_in_the_driver(strategy, process, objective):
    space = GridSpace()
    here = search_once(strategy, space, "toy", objective, budget=20, seed=3)
    there = search_once(strategy, space, "toy", objective, budget=20, seed=3, process=process)
    assert there.order == here.order and there.chosen == here.chosen
    assert there.values == here.values and there.strategy_info == here.strategy_info


class ReadsFile(Strategy):
    """Reads a file of 'ground truth' (here: a file outside every granted folder)."""

    name, version = "reads_file", "1"

    def search(self, space, score_fn, budget, rng):
        archs = space.sample(budget, rng)
        scores = score_fn(archs)
        with open(self.config_path) as fh:  # noqa: PTH123 - the cheat
            fh.read()
        return SearchHistory(archs=archs, scores=scores, chosen=archs[0])


class FindsOracle(Strategy):
    """Looks for the driver's oracle through ``gc`` and chooses by it."""

    name, version = "finds_oracle", "1"

    def search(self, space, score_fn, budget, rng):
        import gc

        archs = space.sample(budget, rng)
        scores = score_fn(archs)
        oracle = next((o for o in gc.get_objects() if isinstance(o, GridOracle)), None)
        if oracle is None:
            raise LookupError("no oracle object in this process")
        truth = oracle.query(archs, "toy")
        return SearchHistory(archs=archs, scores=scores, chosen=archs[int(np.argmax(truth))])


class Forges(Strategy):
    """Writes a pickle that would run code in the driver to its process's pipe."""

    name, version = "forges", "1"

    def search(self, space, score_fn, budget, rng):
        import pickle
        import sys
        from multiprocessing.connection import Connection

        Connection(int(sys.argv[2]), readable=False).send_bytes(pickle.dumps(("history", Exploit())))
        os._exit(0)


class Exploit:
    def __reduce__(self):
        return (exec, ("import os; os.environ['NASH_CHEAT_RAN'] = '1'",))


def test_a_strategy_reading_a_file_outside_its_grants_is_stopped_by_the_sandbox_with_its_name(
    process, objective, tmp_path
):
    secret = tmp_path / "truth.csv"
    secret.write_text("arch,acc\n")
    cheat = ReadsFile()
    cheat.config_path = str(secret)
    with pytest.raises(
        HarnessError, match=r"strategy 'reads_file' was stopped by the sandbox: PermissionError"
    ):
        search_once(cheat, GridSpace(), "toy", objective, budget=5, seed=0, process=process)
    cheat.config_path = str(secret)  # in the driver it reads it: the file is the only obstacle
    assert search_once(cheat, GridSpace(), "toy", objective, budget=5, seed=0).chosen


def test_a_strategy_walking_gc_finds_no_oracle_in_its_process(process, objective):
    space = GridSpace()
    oracle = GridOracle(space=space)  # alive in the driver during the search
    truth = oracle_objective(oracle, "toy")
    with pytest.raises(HarnessError, match=r"strategy 'finds_oracle' raised LookupError: no oracle object"):
        search_once(FindsOracle(), space, "toy", truth, budget=5, seed=0, process=process)


def test_a_forged_message_is_refused_without_running_its_code(process, objective):
    with pytest.raises(HarnessError, match=r"strategy 'forges': its process sent an unreadable message"):
        search_once(Forges(), GridSpace(), "toy", objective, budget=5, seed=0, process=process)
    assert "NASH_CHEAT_RAN" not in os.environ
    with pytest.raises(Exception, match="builtins.exec is not allowed"):
        import pickle

        loads(pickle.dumps(Exploit()))


def test_the_process_serves_the_next_search_after_a_cheat_was_stopped(process, objective):
    run = search_once(RandomSearch(), GridSpace(), "toy", objective, budget=6, seed=1, process=process)
    assert len(run.order) == 6 and run.chosen in run.order
