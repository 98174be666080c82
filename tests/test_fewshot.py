"""The few-shot protocol end to end through ``nash few-shot`` on a test-only space and trainable
proxies installed through entry points (tests/fewshot_toys.py)."""

from __future__ import annotations

import importlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from nas_harness.api import LabelledSet, OracleInfo
from nas_harness.cli import main
from nas_harness.oracle_guard import GroundTruthTrap, oracle_code_objects
from nas_harness.protocols.learned_baseline import Features, fit_predict, one_hot

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def toys(tmp_path, monkeypatch):
    """Install tests/fewshot_toys.py as a distribution with space and proxy entry points."""
    site = tmp_path / "site"
    info = site / "nash_fewshot_toys-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nash-fewshot-toys\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[nas_harness.spaces]\nfs_grid = fewshot_toys:SPACES\n[nas_harness.proxies]\nfs_toys = fewshot_toys:PROXIES\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(TESTS))
    importlib.invalidate_caches()
    monkeypatch.setenv("NASH_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def few_shot(tmp: Path, *extra: str) -> int:
    return main(
        [
            "few-shot",
            "--space",
            "fs_grid",
            "--dataset",
            "fit",
            "--n",
            "12",
            "--sample-seed",
            "3",
            "--executor",
            "inline",
            "--store",
            str(tmp / "store.sqlite"),
            "--out",
            str(tmp / "out"),
            "--quiet",
            *extra,
        ]
    )


def result(tmp: Path) -> dict:
    [path] = (tmp / "out").glob("few-shot-*.json")
    return json.loads(path.read_text())


def test_calibration_archs_never_appear_in_the_evaluation_set_and_their_hash_is_in_signature_and_store_key(
    toys,
):
    from fewshot_toys import FsGrid, FsTable

    code = few_shot(toys, "--proxies", "fs_linear", "--k", "3,8", "--seeds", "0,1", "--features", "fs_params")
    assert code == 0
    res = result(toys)
    evaluation = set(res["evaluation_archs"])
    covered = set(FsTable(space=FsGrid()).coverage("fit"))
    assert len(evaluation) == 12 and evaluation <= covered
    linear = next(lr for lr in res["learners"] if lr["name"] == "fs_linear")
    assert {(c["k"], c["seed"]) for c in linear["cells"]} == {(3, 0), (3, 1), (8, 0), (8, 1)}
    store = sqlite3.connect(toys / "store.sqlite")
    info = OracleInfo("fs_table", "fit", "error", "test", 1, "exact", higher_is_better=False, unit="%")
    for learner in res["learners"]:
        for cell in learner["cells"]:
            cal = cell["calibration"]
            assert cell["status"] == "ok" and cell["labels"] == cell["k"] == len(cal["archs"])
            assert not set(cal["archs"]) & evaluation and set(cal["archs"]) <= covered
            errors = FsTable(space=FsGrid()).query(cal["archs"], "fit")
            recomputed = LabelledSet(
                "fs_grid", "fit", tuple(cal["archs"]), -errors, info, cal["source"], cal["seed"]
            )
            assert cal["hash"] == recomputed.hash
            assert f"h={cal['hash']}" in cell["signature_text"] and cell["signature"]["calibration"].endswith(
                f"h={cal['hash']}" + (f",state={cal['state_hash']})" if cal["state_hash"] else ")")
            )
            if learner["kind"] == "trainable":
                rows = store.execute(
                    "SELECT arch FROM scores WHERE proxy='fs_linear' AND calibration=?",
                    (f"{cal['hash']}:{cal['state_hash']}",),
                ).fetchall()
                assert {r[0] for r in rows} == evaluation
    k8 = [c for c in linear["cells"] if c["k"] == 8]
    assert all(c["spearman"] > 0.8 for c in k8)  # error falls with √(w·d): params and depth see it
    summary = {s["k"]: s for s in linear["summary"]}
    assert summary[8]["spearman"]["mean"] == pytest.approx(np.mean([c["spearman"] for c in k8]))
    assert {lr["name"] for lr in res["learners"]} == {"fs_linear", "baseline:ridge", "baseline:gbm"}
    assert res["features"] == ["fs_params", "encoding"]


def test_a_proxy_that_reads_an_oracle_inside_score_is_caught_and_named(toys, capsys):
    code = few_shot(
        toys,
        "--proxies",
        "fs_leaky",
        "--k",
        "3",
        "--seeds",
        "0",
        "--baselines",
        "none",
        "--features",
        "fs_params",
    )
    assert code == 1
    [cell] = next(lr for lr in result(toys)["learners"] if lr["name"] == "fs_leaky")["cells"]
    assert cell["status"] == "leak" and "fs_leaky" in cell["reason"] and "FsTable.query" in cell["reason"]
    assert "fs_leaky" in capsys.readouterr().err


def test_fit_reads_its_labelled_set_but_no_other_architecture(toys):
    code = few_shot(
        toys,
        "--proxies",
        "fs_peek",
        "--k",
        "3",
        "--seeds",
        "0",
        "--baselines",
        "none",
        "--features",
        "fs_params",
    )
    assert code == 1
    [cell] = result(toys)["learners"][0]["cells"]
    assert cell["status"] == "failed" and "not in its labelled set" in cell["reason"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--proxies", "fs_linear", "--k", "30"), "k=30"),
        (("--proxies", "fs_nope", "--k", "3"), "fs_nope"),
        (("--proxies", "fs_params", "--k", "3"), "not trainable"),
        (("--proxies", "fs_linear", "--k", "1"), "at least 2"),
        (("--proxies", "fs_linear", "--k", "3", "--features", "fs_linear"), "not a zero-cost proxy"),
    ],
)
def test_bad_input_exits_2_with_a_message_naming_it(toys, capsys, args, needle):
    assert few_shot(toys, *args) == 2
    assert needle in capsys.readouterr().err
    assert not (toys / "out").exists()


def test_the_ridge_baseline_learns_a_linear_target_from_few_labels():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = 2.0 * x[:, 0] - x[:, 1] + 0.05 * rng.normal(size=60)
    feats = Features(x[:15], x[15:], ("a", "b", "c"), ())
    preds, details = fit_predict("ridge", feats, y[:15], seed=0)
    assert np.corrcoef(preds, y[15:])[0, 1] > 0.95
    assert details["coef"]["a"] > 0 > details["coef"]["b"]
    gbm, _ = fit_predict("gbm", feats, y[:15], seed=0)
    assert gbm.shape == (45,) and np.corrcoef(gbm, y[15:])[0, 1] > 0.5


def test_one_hot_encoding_marks_one_option_per_decision(toys):
    from fewshot_toys import FsGrid

    space = FsGrid()
    enc, names = one_hot(space, [space.arch(i) for i in range(40)])
    assert enc.shape == (40, 13) and (enc.sum(axis=1) == 2).all() and len(set(map(tuple, enc))) == 40
    assert names[0] == "width=2" and names[-1] == "depth=5"


def test_the_guard_records_oracle_calls_except_while_paused():
    from toy import ToyOracle

    with GroundTruthTrap(oracle_code_objects(classes=[ToyOracle])) as trap:
        with trap.paused():
            ToyOracle().query(["w3"], "toy")
        assert trap.calls == []
        ToyOracle().query(["w3"], "toy")
    assert "ToyOracle.query" in trap.calls and trap.calls.count("ToyOracle.query") == 1


def test_a_search_with_a_trainable_proxy_counts_its_calibration_labels_in_budget_and_queries(toys):
    code = main(
        [
            "search",
            "--space",
            "fs_grid",
            "--dataset",
            "fit",
            "--proxies",
            "fs_linear",
            "--strategy",
            "random",
            "--budget",
            "10",
            "--calib-k",
            "4",
            "--repeats",
            "2",
            "--store",
            str(toys / "store.sqlite"),
            "--out",
            str(toys / "out"),
            "--quiet",
        ]
    )
    assert code == 0
    [path] = (toys / "out").glob("search-*.json")
    [cell] = json.loads(path.read_text())["cells"]
    assert cell["labels"] == 4 and "k=4" in cell["calibration"] and "|calib:" in cell["signature"]
    for rep in cell["repeats"]:
        assert rep["labels"] == 4 and rep["n_scored"] <= 10 - 4
        if rep["steps_to_optimum"] is not None:
            assert rep["queries_to_optimum"] == rep["steps_to_optimum"] + 4


def test_a_search_with_a_trainable_proxy_and_no_calibration_exits_2(toys, capsys):
    code = main(
        [
            "search",
            "--space",
            "fs_grid",
            "--dataset",
            "fit",
            "--proxies",
            "fs_linear",
            "--strategy",
            "random",
            "--budget",
            "10",
            "--store",
            str(toys / "store.sqlite"),
            "--out",
            str(toys / "out"),
            "--quiet",
        ]
    )
    assert code == 2 and "--calib-k" in capsys.readouterr().err


def test_a_correlation_run_with_a_trainable_proxy_exits_2_before_scoring_anything(toys, capsys):
    argv = ["run", "--space", "fs_grid", "--dataset", "fit", "--n", "12", "--executor", "inline"]
    argv += [
        "--proxies",
        "params,fs_linear",
        "--store",
        str(toys / "store.sqlite"),
        "--out",
        str(toys / "out"),
    ]
    code = main([*argv, "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "'fs_linear'" in err and "nash few-shot" in err
    store = toys / "store.sqlite"
    assert not (toys / "out").exists()
    assert (
        not store.exists() or not sqlite3.connect(store).execute("SELECT count(*) FROM scores").fetchone()[0]
    )


def test_a_strategy_that_calls_an_oracle_while_searching_is_caught_and_named(tmp_path):
    from search_toy import AccuracyProxy, GridOracle, GridSpace

    from nas_harness.api import HarnessError, SearchHistory, Strategy
    from nas_harness.engine import Engine
    from nas_harness.protocols.search import oracle_objective, proxy_objective, search_once
    from nas_harness.scoring import ProxyJob, ScoringSetup
    from nas_harness.store import ScoreStore

    class Peeker(Strategy):
        name, version = "peeker", "1"

        def search(self, space, score_fn, budget, rng):
            archs = space.sample(3, rng)
            truth = GridOracle(space=GridSpace()).query(archs, "toy")
            score_fn(archs)
            return SearchHistory(archs=archs, scores=list(truth), chosen=archs[0])

    class Honest(Peeker):
        name = "honest"

        def search(self, space, score_fn, budget, rng):
            archs = space.sample(3, rng)
            return SearchHistory(archs=archs, scores=score_fn(archs), chosen=archs[0])

    space = GridSpace()
    store = ScoreStore(tmp_path / "s.sqlite")
    objective = proxy_objective(
        Engine(ScoringSetup(space=space, dataset="toy"), store), ProxyJob(AccuracyProxy())
    )
    with pytest.raises(HarnessError, match="strategy 'peeker' called into an oracle.*GridOracle.query"):
        search_once(Peeker(), space, "toy", objective, budget=5, seed=0)
    # the harness's own oracle objective (P16) is not the strategy's doing
    assert search_once(
        Honest(), space, "toy", oracle_objective(GridOracle(space=space), "toy"), budget=5, seed=0
    )
    store.close()


def test_dps_fits_by_scoring_only_its_labelled_archs_and_its_state_reloads_bit_for_bit():
    from nas_harness.api import FitTools
    from nas_harness.plugins.proxies.eproxy import Dps

    archs = tuple(f"a{i}" for i in range(6))
    ls = LabelledSet(
        "toy", "t", archs, np.arange(6.0), OracleInfo("o", "t", "acc", "test", 1, "exact"), "toy:t/o", 0
    )

    class StubTools(FitTools):
        """Scores that rank the archs well exactly when the config's lr is large."""

        def __init__(self):
            self.asked: list[str] = []

        def context(self, labelled, arch):
            raise AssertionError("flops_max is given: no context needed")

        def score(self, proxy, config, labelled):
            assert proxy == "eproxy" and labelled is ls
            self.asked.extend(labelled.archs)
            direction = 1.0 if config["lr"] >= 1.0 else -1.0
            return direction * np.arange(6.0) + 0.01 * np.sin(np.arange(6.0) * config["lr"])

        def rng(self):
            return np.random.default_rng(7)

    cfg = Dps.Config(population=6, tournament=3, cycles=4, flops_max=1e6)
    first, tools = Dps(cfg), StubTools()
    state = first.fit([ls], tools)
    assert set(tools.asked) == set(archs)
    again = Dps(cfg).fit([ls], StubTools())
    assert again == state  # the same search, the same bytes
    loaded = Dps(cfg)
    loaded.load_state(state)
    blob = json.loads(state)
    assert loaded.fitted() == state and blob["eproxy"]["lr"] >= 1.0 and blob["fitness"] > 0.9
    assert blob["fitted_on"]["sets"][0]["hash"] == ls.hash and blob["fitted_on"]["evaluations"] == 10


def test_calibration_labels_from_another_oracle_are_recorded_as_transfer_and_stay_disjoint(toys):
    code = few_shot(
        toys,
        "--proxies",
        "fs_linear",
        "--k",
        "5",
        "--seeds",
        "0",
        "--baselines",
        "ridge",
        "--features",
        "fs_params",
        "--calib-oracle",
        "fs_full",
    )
    assert code == 0
    res = result(toys)
    assert (
        res["calibration_source"] == "transfer:fs_grid:fit/fs_full"
        and res["calibration_oracle"]["oracle"] == "fs_full"
    )
    for learner in res["learners"]:
        [cell] = learner["cells"]
        assert cell["calibration"]["source"] == res["calibration_source"] in cell["signature_text"]
        assert not set(cell["calibration"]["archs"]) & set(res["evaluation_archs"])
    assert res["features"] == ["fs_params"]  # no encoding across sources
