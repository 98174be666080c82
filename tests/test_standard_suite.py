"""The versioned standard suite: its identity, its pinned sample, and a run through the CLI."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from scipy import stats
from test_cli_e2e import nash

from nas_harness.api import HarnessError
from nas_harness.api.suites import sample_digest
from nas_harness.cli import main
from nas_harness.host import PluginHost
from nas_harness.leaderboard.schema import load_results
from nas_harness.leaderboard.standard_schema import load_standard
from nas_harness.plugins.spaces.nb201.suites import STANDARD
from nas_harness.standard import check_sample
from nas_harness.suites import catalog

# Changing anything STANDARD pins changes this id. Then bump STANDARD.version and write the new
# id here: results of the old definition must never be ranked as if they came from the new one.
COMMITTED_ID = "standard@1+fa8c562933f2"


def test_the_standard_suite_id_is_the_committed_one():
    assert STANDARD.id == COMMITTED_ID, (
        "the standard suite's definition changed: bump STANDARD.version in plugins/spaces/nb201/suites.py "
        f"and update COMMITTED_ID (now {STANDARD.id})"
    )


def test_the_nb201_plugin_contributes_the_standard_suite_through_its_hook():
    host = PluginHost.discover()
    suites = catalog(host)
    assert suites.versioned["standard"] is STANDARD
    assert "nas_harness.spaces:nb201" in suites.origin[("suite", "standard")]
    assert {"quick", "correlation-1000", "ci"} <= set(suites.presets)
    assert all(suites.presets[n].config["space"] == "nb201" for n in ("quick", "correlation-1000", "ci"))


def _changes():
    """One edit of every pinned item (nested ones too)."""
    search = STANDARD.search
    return {
        "version": {"version": "2"},
        "space": {"space": {"name": "nb201", "config": {"x": 1}}},
        "datasets": {"datasets": ("cifar10", "cifar100")},
        "dataset order": {"datasets": tuple(reversed(STANDARD.datasets))},
        "oracle": {"oracle": {"name": "nats_bench", "config": {}}},
        "sample.n": {"sample": {**STANDARD.sample, "n": 201}},
        "sample.seed": {"sample": {**STANDARD.sample, "seed": 1}},
        "sample_digest": {"sample_digest": "0" * 16},
        "input.batch_size": {"input": {**STANDARD.input, "batch_size": 32}},
        "input.seed": {"input": {**STANDARD.input, "seed": 0}},
        "init": {"init": "kaiming_normal"},
        "seed": {"seed": 0},
        "bootstrap": {"bootstrap": 999},
        "confidence": {"confidence": 0.9},
        "top_fraction": {"top_fraction": 0.05},
        "tie_policy": {"tie_policy": "random"},
        "search.budget": {"search": search.model_copy(update={"budget": 51})},
        "search.repeats": {"search": search.model_copy(update={"repeats": 4})},
        "search.seed": {"search": search.model_copy(update={"seed": 1})},
        "search.datasets": {"search": search.model_copy(update={"datasets": ("cifar100",)})},
        "search.strategy": {
            "search": search.model_copy(update={"strategy": {"name": "random", "config": {}}})
        },
        "search.strategy.config": {
            "search": search.model_copy(
                update={
                    "strategy": {
                        "name": search.strategy["name"],
                        "config": {**search.strategy["config"], "population_size": 21},
                    }
                }
            )
        },
        "headline": {"headline": "other"},
    }


@pytest.mark.parametrize("what", list(_changes()))
def test_changing_any_pinned_item_changes_the_suite_id(what):
    changed = STANDARD.model_copy(update=_changes()[what])
    assert changed.content_hash != STANDARD.content_hash
    assert changed.id != STANDARD.id


def test_every_pinned_field_is_covered_and_the_proxy_list_is_not_pinned():
    covered = {k.split(".")[0] for k in _changes()} | {"dataset order"}
    assert set(STANDARD.pinned()) <= covered | {"name"}
    assert STANDARD.model_copy(update={"default_proxies": ("sed",)}).id == STANDARD.id
    assert STANDARD.model_copy(update={"name": "other"}).content_hash != STANDARD.content_hash


def test_the_pinned_sample_is_checked_against_its_digest():
    host = PluginHost.discover()
    archs = check_sample(STANDARD, host)
    assert len(archs) == STANDARD.sample["n"] == len(set(archs))
    assert sample_digest(archs) == STANDARD.sample_digest
    with pytest.raises(HarnessError, match="no longer gives the pinned architectures"):
        check_sample(STANDARD.model_copy(update={"sample_digest": "0" * 16}), host)


def test_run_and_search_configs_carry_the_pinned_settings():
    cfg = STANDARD.run_config("cifar100", ["sed"])
    assert (
        cfg["dataset"] == "cifar100" and cfg["sample"] == STANDARD.sample and cfg["input"] == STANDARD.input
    )
    assert (cfg["init"], cfg["seed"], cfg["bootstrap"], cfg["top_fraction"]) == (
        "kaiming_uniform",
        42,
        1000,
        0.1,
    )
    search = STANDARD.search_config(["sed"])
    assert search["budget"] == STANDARD.search.budget and search["datasets"] == list(STANDARD.search.datasets)
    assert search["strategies"] == [STANDARD.search.strategy] and search["init_seed"] == STANDARD.seed


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--n", "10"], "--n"),
        (["--batch-size", "8"], "--batch-size"),
        (["--dataset", "cifar100"], "--dataset"),
        (["--init", "normal"], "--init"),
    ],
)
def test_pinned_items_cannot_be_overridden_from_the_command_line(flags, named, tmp_path, capsys):
    rc = main(
        ["run", "--suite", "standard", *flags, "--out", str(tmp_path), "--store", str(tmp_path / "s.sqlite")]
    )
    assert rc == 2
    err = " ".join(capsys.readouterr().err.split())
    assert named in err and "pins" in err and not list(tmp_path.glob("*.json"))


def test_a_versioned_suite_is_not_a_sweep_preset(tmp_path, capsys):
    rc = main(
        ["sweep", "--suite", "standard", "--field", "init", "--values", "normal", "--out", str(tmp_path)]
    )
    assert rc == 2 and "nash run --suite standard" in capsys.readouterr().err


@pytest.mark.slow
def test_nash_run_suite_standard_end_to_end(tmp_path):
    """The real standard suite (200 archs × 3 datasets, the search) with two cheap proxies."""
    out, db = tmp_path / "out", tmp_path / "s.sqlite"
    args = [
        "run",
        "--suite",
        "standard",
        "--proxies",
        "sed,params",
        "--store",
        str(db),
        "--out",
        str(out),
        "--threads",
        "1",
        "--quiet",
    ]
    proc = nash(*args)
    assert proc.returncode == 0, proc.stderr
    assert "standard leaderboard" in proc.stdout and STANDARD.id in proc.stdout
    [suite_file] = out.glob("suite-standard-v1-*.json")
    result = load_standard(suite_file)
    assert result.suite.id == STANDARD.id and result.suite.definition == STANDARD.pinned()
    assert [r.config["dataset"] for r in result.runs] == list(STANDARD.datasets)
    assert result.proxies == ["sed", "params"]

    for ds, run, columns in zip(STANDARD.datasets, result.runs, result.scores):
        # each dataset's run is also an ordinary results file with its scores CSV
        on_disk = load_results(out / f"correlation-{run.config_hash}.json")
        assert on_disk.results == run.results
        assert columns.dataset == ds and len(columns.archs) == STANDARD.sample["n"]
        assert sample_digest(columns.archs) == STANDARD.sample_digest
        truth = np.array(columns.target, dtype=float)
        for res in run.results:
            x = np.array(columns.scores[res.proxy], dtype=float)
            x = x if res.higher_is_better else -x
            keep = np.isfinite(x) & np.isfinite(truth)
            assert res.spearman.value == pytest.approx(stats.spearmanr(x[keep], truth[keep]).statistic)
    for row in result.rows:
        rhos = [next(r for r in run.results if r.proxy == row.proxy).spearman.value for run in result.runs]
        assert row.headline == pytest.approx(float(np.mean(rhos)))
        assert row.headline == pytest.approx(next(s for s in result.sweep.rows if s.proxy == row.proxy).mean)
        cell = next(c for c in result.search.cells if c.proxy == row.proxy)
        assert cell.budget == STANDARD.search.budget and len(cell.repeats) == STANDARD.search.repeats
        assert row.search_accuracy == cell.accuracy and not row.reads_input
    assert (out / result.search.trajectory_file).is_file()

    # the leaderboard of the directory: the suite's rows once, ranked by the headline
    board = nash("leaderboard", str(out), "--json")
    assert board.returncode == 0, board.stderr
    shown = json.loads(board.stdout)
    assert shown["runs"] == {} and len(shown["suites"]) == 1
    [rows] = shown["suites"].values()
    heads = [r["headline"] for r in rows]
    assert heads == sorted(heads, reverse=True) and [r["rank"] for r in rows] == [1, 2]

    count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    again = nash(*args)  # a rerun computes nothing
    assert again.returncode == 0, again.stderr
    assert "0 scores computed" in again.stdout
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM scores").fetchone()[0] == count
