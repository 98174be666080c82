"""The adversarial plugin (tests/cheats, installed through an entry point) against real NB201 runs:
in a sandboxed run no cheat gets ground truth, every mutation is caught without changing another
proxy's stored score, odd return types fail with their reason, a submission of a cheat gets no
ground truth, no process a proxy starts survives, and a hang costs one time limit."""

from __future__ import annotations

import time

import numpy as np
import pytest
from cheats import MUTATORS, ODD_TYPES, PEEKERS, PROCESS_CHEATS, STATE_CHANGERS
from cheats.install import install
from cheats.mutators import HONEST

from nas_harness import sandbox

ok, why = sandbox.available()
pytestmark = pytest.mark.skipif(not ok, reason=f"sandbox unavailable: {why}")

N = 4  # NB201 architectures per run: enough to see each behaviour, cheap to score


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    from nas_harness.host import PluginHost

    install(tmp_path_factory.mktemp("site"))
    found = PluginHost.discover()
    assert {c.name for c in PEEKERS} <= set(found.names("proxy")), found.warnings
    assert found.get("proxy", "peek_gc").distribution == "nash-cheats"
    return found


def run(host, proxies, store, **extra):
    from nas_harness.runner import compute_run

    config = {
        "space": "nb201",
        "dataset": "cifar10",
        "proxies": list(proxies),
        "sample": {"mode": "random", "n": N, "seed": 0},
        "input": {"kind": "noise", "batch_size": 8},
        "executor": "local",
        "workers": 1,
        "threads": 1,
        "time_limit_s": 300,
        "bootstrap": 0,
        **extra,
    }
    return compute_run(config, store_path=store, host=host)


def records(outcome, name):
    return [(r.status, r.value, r.reason) for r in outcome.tables[name].records]


@pytest.mark.slow
def test_in_a_sandboxed_run_no_cheat_gets_truth_and_no_mutation_changes_another_score(
    host, tmp_path, monkeypatch
):
    monkeypatch.delenv("NASH_SANDBOX", raising=False)  # the default: on where available
    cheats = [c.name for c in (*PEEKERS, *MUTATORS, *STATE_CHANGERS, *ODD_TYPES)]
    honest = [c.name for c in HONEST]
    mixed = run(host, [*honest[:3], *cheats, *honest[3:]], tmp_path / "mixed.sqlite")
    clean = run(host, honest, tmp_path / "clean.sqlite")
    assert mixed.run.environment.sandbox.startswith("on: Landlock")
    truth = np.asarray(mixed.truth, dtype=float)
    for peeker in PEEKERS:
        got = records(mixed, peeker.name)
        assert all(status == "failed" and reason for status, _, reason in got), (peeker.name, got)
        values = mixed.tables[peeker.name].values
        assert not np.allclose(values, truth, equal_nan=False), peeker.name
    for mutator in (*MUTATORS, *STATE_CHANGERS):
        got = records(mixed, mutator.name)
        assert all(
            s == "failed" and r.startswith(("modified", "replaced", "changed", "removed")) for s, _, r in got
        ), got
    for odd in ODD_TYPES:
        assert all(s == "failed" and "real number" in r for s, _, r in records(mixed, odd.name))
    for name in honest:  # bit for bit, as stored
        assert records(mixed, name) == records(clean, name), name
        assert all(s == "ok" for s, _, _ in records(clean, name))


@pytest.mark.slow
def test_a_submission_of_a_cheat_gets_no_ground_truth(host, tmp_path, monkeypatch, capsys):
    from nas_harness.cli import main

    monkeypatch.delenv("NASH_SANDBOX", raising=False)
    out = tmp_path / "sub.json"
    code = main(
        [
            "submit",
            "peek_cached",
            "--suite",
            "quick",
            "--out",
            str(out),
            "--store",
            str(tmp_path / "s.sqlite"),
            "--quiet",
        ]
    )
    text = capsys.readouterr().out
    assert code == 1 and "failed 100" in text  # every architecture failed: nothing of the oracle was readable
    assert "ρ 1.000" not in text


@pytest.mark.slow
def test_process_cheats_leave_no_process_and_a_hang_costs_one_time_limit(host, tmp_path, monkeypatch):
    from test_no_leaks import wait_none_left

    monkeypatch.delenv("NASH_SANDBOX", raising=False)
    limit = 10  # above a loaded worker's time to score the honest proxies; each hang costs one
    t0 = time.perf_counter()
    outcome = run(
        host,
        [c.name for c in PROCESS_CHEATS] + ["honest_batch"],
        tmp_path / "p.sqlite",
        time_limit_s=limit,
        sample={"mode": "random", "n": 2, "seed": 0},
    )
    elapsed = time.perf_counter() - t0
    assert all(s == "failed" and "timeout" in r for s, _, r in records(outcome, "proc_hang"))
    assert all(s == "ok" for s, _, _ in records(outcome, "honest_batch"))
    assert elapsed < 2 * limit + 90  # one limit per architecture, then the innocent are retried together
    assert wait_none_left() == []


SUITE_CHEATS = ["peek_csv", "peek_gc", "peek_cached", "mut_batch", "mut_grads", "rng_advance", "odd_str"]
SUITE_HONEST = ["honest_grads", "honest_batch"]


def stored(store) -> dict[tuple[str, str], tuple]:
    import sqlite3

    with sqlite3.connect(store) as db:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'scores%'")]
        rows = db.execute(f"SELECT proxy, arch, status, value FROM {max(names)}").fetchall()
    return {(p, a): (s, v) for p, a, s, v in rows}


@pytest.mark.slow
def test_a_standard_suite_run_of_the_cheats_gives_them_no_truth_and_changes_no_honest_score(
    host, tmp_path, monkeypatch, capsys
):
    from nas_harness.cli import main
    from nas_harness.leaderboard.standard_schema import load_standard

    monkeypatch.delenv("NASH_SANDBOX", raising=False)
    common = ["--workers", "1", "--threads", "1", "--time-limit", "120", "--quiet"]
    mixed, clean = tmp_path / "mixed", tmp_path / "clean"
    proxies = [*SUITE_HONEST[:1], *SUITE_CHEATS, *SUITE_HONEST[1:], "rng_reader"]
    for out, names in ((mixed, proxies), (clean, SUITE_HONEST)):
        args = ["run", "--suite", "adversarial", "--proxies", ",".join(names)]
        code = main([*args, "--store", str(out / "s.sqlite"), "--out", str(out), *common])
        assert code == (1 if out == mixed else 0)  # 1: some proxies failed on every architecture
    capsys.readouterr()
    [suite_file] = mixed.glob("suite-*.json")
    result = load_standard(suite_file)
    assert result.suite.id.startswith("adversarial@1")
    rows = {r.proxy: r for r in result.rows}
    for name in ("peek_csv", "peek_gc", "peek_cached", "mut_batch", "mut_grads", "odd_str"):
        assert rows[name].headline is None, (name, rows[name].headline)  # failed everywhere: no ρ
    got, ref = stored(mixed / "s.sqlite"), stored(clean / "s.sqlite")
    for key, value in ref.items():  # the run's archs and the search's, bit for bit
        assert got.get(key) == value, key
    for key, (status, _) in got.items():
        if key[0] in ("peek_csv", "peek_gc", "peek_cached", "mut_batch", "mut_grads", "odd_str"):
            assert status == "failed", key
        if key[0] in ("rng_advance", "rng_reader"):
            assert status == "ok", key


@pytest.mark.slow
@pytest.mark.parametrize(
    "cheat, reason",
    [
        ("cheat_csv", "was stopped by the sandbox: PermissionError"),
        ("cheat_gc", "raised LookupError: no oracle object"),
        ("cheat_import", "raised"),
        ("cheat_store", "was stopped by the sandbox: PermissionError"),
        ("cheat_pickle", "its process sent an unreadable message"),
    ],
)
def test_a_cheating_strategy_is_stopped_with_its_name(host, tmp_path, monkeypatch, capsys, cheat, reason):
    import os

    from nas_harness.cli import main

    monkeypatch.delenv("NASH_SANDBOX", raising=False)
    store = tmp_path / "s.sqlite"
    monkeypatch.setenv("NASH_STORE", str(store))
    args = ["search", "--space", "nb201", "--dataset", "cifar10", "--strategy", cheat, "--proxies", "params"]
    args += ["--budget", "4", "--repeats", "1", "--threads", "1", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err.replace("\n", " ")
    assert f"strategy {cheat!r}" in err and reason in err, err
    assert "NASH_CHEAT_RAN" not in os.environ
