"""Two `nash run` processes on one store with overlapping work: both finish, every key has one
row, both read the same value for every shared score, and SQLite finds the file intact."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

NO_DATA = {"NASH_DATA_DIR": "", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.mark.slow
def test_two_overlapping_runs_on_one_store_finish_with_one_row_per_key_and_equal_values(tmp_path):
    store = tmp_path / "s.sqlite"
    runs = {  # the second run's architectures and proxies are a subset of the first's
        "a": ["--proxies", "sed,params,synflow", "--n", "30"],
        "b": ["--proxies", "synflow,params", "--n", "20"],
    }
    common = [
        "--space",
        "nb201",
        "--sample",
        "first_n",
        "--bootstrap",
        "0",
        "--workers",
        "1",
        "--threads",
        "1",
        "--store",
        str(store),
        "--quiet",
    ]
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "nas_harness.cli", "run", *args, *common, "--out", str(tmp_path / name)],
            env={**os.environ, **NO_DATA},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in runs.items()
    }
    outs = {name: p.communicate(timeout=600) for name, p in procs.items()}
    assert {name: p.returncode for name, p in procs.items()} == {"a": 0, "b": 0}, outs
    assert all("Traceback" not in err for _, err in outs.values())

    db = sqlite3.connect(store)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = [
            n
            for (n,) in db.execute(
                "SELECT COUNT(*) FROM scores GROUP BY proxy, proxy_version, config_hash, space, dataset, "
                "input_spec, init, seed, arch"
            )
        ]
        stored = {(p, a): v for p, a, v in db.execute("SELECT proxy, arch, value FROM scores")}
    finally:
        db.close()
    assert len(counts) == 3 * 30 and set(counts) == {1}

    frames = {
        name: pd.read_csv(next((tmp_path / name).glob("*.scores.csv"))).set_index("arch") for name in runs
    }
    shared = frames["b"].index
    assert set(shared) <= set(frames["a"].index)
    for proxy in ("synflow", "params"):
        a, b = frames["a"].loc[shared, proxy], frames["b"].loc[shared, proxy]
        assert (a.to_numpy() == b.to_numpy()).all(), proxy  # bit for bit: one committed value read by both
        assert all(stored[(proxy, arch)] == value for arch, value in a.items())
