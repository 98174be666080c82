"""`nash run` under faults, in real subprocesses: SIGKILL at a random moment, two writers on
one store, and corrupted inputs (exit 2, the file and problem named, the store untouched)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli_e2e import nash

from nas_harness.plugins.spaces.nb201.space import NB201Space
from nas_harness.store import ScoreKey, ScoreRecord, ScoreStore

NO_DATA = {"NASH_DATA_DIR": ""}  # noise inputs: no ../shared needed


def key_counts(store: Path) -> list[int]:
    """Rows per full score key (the table's primary key: any count but 1 is a bug)."""
    db = sqlite3.connect(store, timeout=30)
    try:
        return [
            n
            for (n,) in db.execute(
                "SELECT COUNT(*) FROM scores GROUP BY proxy, proxy_version, config_hash, space, dataset, "
                "input_spec, init, seed, arch"
            )
        ]
    except sqlite3.OperationalError:  # the run has not created the table yet
        return []
    finally:
        db.close()


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_sigkill_at_a_random_moment_then_resume_gives_one_score_per_key(tmp_path):
    store = tmp_path / "s.sqlite"
    args = [
        "run",
        "--space",
        "nb201",
        "--proxies",
        "synflow,naswot,sed",
        "--n",
        "40",
        "--batch-size",
        "8",
        "--bootstrap",
        "20",
        "--workers",
        "2",
        "--threads",
        "1",
        "--store",
        str(store),
        "--out",
        str(tmp_path / "out"),
        "--quiet",
    ]
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    target = rng.randrange(41, 116)  # a random point of the 80 model scores (sed's 40 land at once, first)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nas_harness.cli", *args],
        env={**os.environ, **NO_DATA},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while proc.poll() is None and (not store.exists() or sum(key_counts(store)) < target):
        time.sleep(0.05)
    time.sleep(rng.uniform(0, 0.3))
    assert proc.poll() is None, f"the run ended before its kill (seed {seed}); make it longer"
    workers = children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10  # orphaned workers notice their driver is gone and exit
    while (
        any(
            Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]
            for w in workers
        )
        and time.time() < deadline
    ):
        time.sleep(0.2)
    alive = [
        w
        for w in workers
        if Path(f"/proc/{w}").exists() and Path(f"/proc/{w}/stat").read_text().split()[2] != "Z"
    ]
    assert not alive, f"workers outlived their killed driver (seed {seed})"
    before = sum(key_counts(store)) if store.exists() else 0

    resumed = nash(*args, env=NO_DATA)
    assert resumed.returncode == 0, resumed.stderr
    counts = key_counts(store)
    assert len(counts) == 120 and set(counts) == {1}, f"seed {seed}, killed at {before} rows"
    assert f"{120 - before} scores computed, {before} from the store" in " ".join(resumed.stdout.split())


@pytest.mark.slow
def test_two_runs_writing_one_store_at_once_stay_consistent(tmp_path):
    store = tmp_path / "s.sqlite"
    common = [
        "--space",
        "nb201",
        "--proxies",
        "synflow,naswot",
        "--n",
        "24",
        "--batch-size",
        "8",
        "--bootstrap",
        "20",
        "--workers",
        "1",
        "--threads",
        "1",
        "--store",
        str(store),
        "--quiet",
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "nas_harness.cli", "run", *common, "--out", str(tmp_path / f"o{i}")],
            env={**os.environ, **NO_DATA},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    counts = key_counts(store)
    assert len(counts) == 48 and set(counts) == {1}
    csvs = [next((tmp_path / f"o{i}").glob("*.scores.csv")).read_text() for i in range(2)]
    assert csvs[0] == csvs[1]  # both runs read the same committed values


# --------------------------------------------------------------------------- corrupted inputs


@pytest.fixture
def populated_store(tmp_path) -> Path:
    path = tmp_path / "store" / "s.sqlite"
    with ScoreStore(path) as store:
        store.put(
            ScoreKey("p", "1", "h", "nb201@1", "cifar10", "none", "none", 0),
            ScoreRecord("a", 1.0, "ok", None, 0.1, 0.1),
        )
    return path


def snapshot(store: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(store.parent.iterdir())}


def table(path: Path, rows: list[tuple[str, str]], header=("ArchitectureString", "acc")) -> Path:
    path.write_text(",".join(header) + "\n" + "".join(f"{a},{v}\n" for a, v in rows))
    return path


def first_archs(n: int) -> list[str]:
    space = NB201Space()
    return [space.arch(i) for i in range(n)]


def corrupted(case: str, tmp: Path, shared: Path | None) -> tuple[list[str], Path, str]:
    """(extra nash run args, the offending file, words its error must contain)."""
    archs = first_archs(8)
    oracle = lambda p: ["--oracle", "table", "--oracle-opt", f"path={p}", "--oracle-opt", "metric_column=acc"]  # noqa: E731
    if case == "truncated npz":
        good = shared / "images" / "cifar10_sample.npz"
        bad = tmp / "truncated.npz"
        bad.write_bytes(good.read_bytes()[:3000])
        return ["--proxies", "naswot", "--data", str(bad)], bad, "not a readable .npz file"
    if case == "table without the metric column":
        bad = table(
            tmp / "nocol.csv", [(a, "90.0") for a in archs], header=("ArchitectureString", "accuracy")
        )
        return ["--proxies", "sed", *oracle(bad)], bad, "has no column 'acc'"
    if case == "table with a duplicated arch":
        bad = table(tmp / "dup.csv", [(a, "90.0") for a in archs] + [(archs[3], "91.0")])
        return ["--proxies", "sed", *oracle(bad)], bad, "more than once"
    if case == "table of NaNs":
        bad = table(tmp / "nan.csv", [(a, "nan") for a in archs])
        return ["--proxies", "sed", *oracle(bad)], bad, "no ground truth (NaN) for any of the 8 sampled"
    if case == "table with a non-number":
        bad = table(tmp / "typo.csv", [(a, "90.0") for a in archs[:-1]] + [(archs[-1], "9o.1")])
        return ["--proxies", "sed", *oracle(bad)], bad, "9o.1"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "truncated npz",
        "table without the metric column",
        "table with a duplicated arch",
        "table of NaNs",
        "table with a non-number",
    ],
)
@pytest.mark.slow
def test_corrupted_input_exits_2_names_the_file_and_leaves_the_store_untouched(
    case, tmp_path, populated_store, request
):
    shared = request.getfixturevalue("shared_data") if case == "truncated npz" else None
    extra, bad, problem = corrupted(case, tmp_path, shared)
    before = snapshot(populated_store)
    proc = nash(
        "run",
        "--space",
        "nb201",
        *extra,
        "--sample",
        "first_n",
        "--n",
        "8",
        "--store",
        str(populated_store),
        "--out",
        str(tmp_path / "out"),
        "--quiet",
    )
    message = " ".join(proc.stderr.split())
    assert proc.returncode == 2, proc.stderr
    assert str(bad) in message.replace(" ", ""), message  # rich may wrap a long path
    assert problem in message and "Traceback" not in proc.stderr
    assert snapshot(populated_store) == before
