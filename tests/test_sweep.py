"""Sweeps (P6–P10): dotted paths, tabulation, and a 3-value sweep through the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from test_cli_e2e import nash

from nas_harness.api import HarnessError
from nas_harness.cli import main
from nas_harness.leaderboard.schema import RunResult
from nas_harness.leaderboard.sweep_schema import SweepResult
from nas_harness.sweeps import SweepConfig, parse_path, point_configs, set_path


def test_parse_and_set_dotted_paths():
    assert parse_path("proxies[wrcor].config.weighting") == ["proxies", ("wrcor",), "config", "weighting"]
    assert parse_path("proxies[0].config.x") == ["proxies", 0, "config", "x"]
    base = {"proxies": ["params", "wrcor"], "input": {"batch_size": 64}, "oracle": "table"}
    assert set_path(base, "input.batch_size", 32)["input"] == {"batch_size": 32}
    assert set_path(base, "proxies[wrcor].config.weighting", "none")["proxies"][1] == {
        "name": "wrcor",
        "config": {"weighting": "none"},
    }
    assert set_path(base, "proxies[0].config.k", 1)["proxies"][0] == {"name": "params", "config": {"k": 1}}
    assert set_path(base, "oracle.config.metric_column", "X")["oracle"] == {
        "name": "table",
        "config": {"metric_column": "X"},
    }
    assert set_path(base, "init", "normal")["init"] == "normal"
    assert base["input"] == {"batch_size": 64} and base["proxies"] == ["params", "wrcor"]  # not modified
    with pytest.raises(HarnessError, match="no entry named 'zen'"):
        set_path(base, "proxies[zen].config.x", 1)
    with pytest.raises(HarnessError, match="out of range"):
        set_path(base, "proxies[5].config.x", 1)


def test_linked_fields_and_validation_before_running():
    sweep = SweepConfig(
        field="dataset", values=["cifar10", "cifar100"], linked={"input.path": ["a.npz", "b.npz"]}
    )
    points = point_configs({"proxies": ["sed"]}, sweep)
    assert [p[1] for p in points] == [
        {"dataset": "cifar10", "input.path": "a.npz"},
        {"dataset": "cifar100", "input.path": "b.npz"},
    ]
    with pytest.raises(ValueError, match="has 1 values"):
        SweepConfig(field="dataset", values=["a", "b"], linked={"init": ["normal"]})
    with pytest.raises(HarnessError, match="sweep point init=bogus"):
        point_configs({"proxies": ["sed"]}, SweepConfig(field="init", values=["normal", "bogus"]))


@pytest.mark.slow
def test_three_value_sweep_through_the_cli(tmp_path):
    out = tmp_path / "out"
    proc = nash(
        "sweep",
        "--space",
        "nb201",
        "--proxies",
        "sed,params,synflow",
        "--n",
        "20",
        "--bootstrap",
        "50",
        "--threads",
        "1",
        "--field",
        "init",
        "--values",
        "kaiming_uniform,kaiming_normal,normal",
        "--abs",
        "--ceiling",
        "off",
        "--store",
        str(tmp_path / "s.sqlite"),
        "--out",
        str(out),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    sweeps = list(out.glob("sweep-*.json"))
    assert len(sweeps) == 1
    result = SweepResult.model_validate_json(sweeps[0].read_text())
    assert result.field == "init" and [p.label for p in result.points] == [
        "kaiming_uniform",
        "kaiming_normal",
        "normal",
    ]
    runs = [RunResult.model_validate_json((out / p.results_file).read_text()) for p in result.points]
    assert [r.config["init"] for r in runs] == ["kaiming_uniform", "kaiming_normal", "normal"]
    rows = {r.proxy: r for r in result.rows}
    assert set(rows) == {"sed", "params", "synflow"}
    for name, row in rows.items():
        values = [abs(next(x for x in run.results if x.proxy == name).spearman.value) for run in runs]
        assert [c.value for c in row.cells] == pytest.approx(values)
        assert row.mean == pytest.approx(np.mean(values)) and row.std == pytest.approx(np.std(values))
    assert rows["sed"].std == pytest.approx(0.0)  # a topology-only proxy ignores the init
    assert "sweep of init" in proc.stdout and "mean" in proc.stdout
    # the leaderboard of the sweep's runs: one group per init, significance marks from the scores files
    from nas_harness.analysis import leaderboard_marks
    from nas_harness.leaderboard.schema import load_results

    files = sorted(out.glob("correlation-*.json"))
    marks = leaderboard_marks([(str(f), load_results(f)) for f in files], n_resamples=100)
    assert len(marks) == 3 and all(isinstance(m, dict) for m in marks.values())


def test_bad_sweep_field_exits_2(tmp_path, capsys):
    code = main(
        [
            "sweep",
            "--space",
            "nb201",
            "--proxies",
            "sed",
            "--n",
            "5",
            "--field",
            "proxies[zen].config.x",
            "--values",
            "1,2",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--out",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no entry named 'zen'" in err and "Traceback" not in err
