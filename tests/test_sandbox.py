"""The Landlock sandbox (harness/sandbox.py): inside it, Python and its packages still run, the
allowed input stays readable, and a file outside (the stand-in for a ground-truth table), the
oracle package's data and TCP connections are not."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from toy import WidthProxy

from nas_harness import sandbox
from nas_harness.api import PluginConfig

ok, why = sandbox.available()
pytestmark = pytest.mark.skipif(not ok, reason=f"sandbox unavailable: {why}")

CHILD = textwrap.dedent("""
    import json, socket, sys
    from pathlib import Path
    from nas_harness import sandbox
    allowed, secret, batch = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    denied = sandbox.oracle_data_dirs()
    files = [f for d in denied for f in sorted(d.rglob("*"))[:3] if f.is_file()]  # found before the sandbox
    abi = sandbox.restrict(sandbox.scoring_roots([batch]), denied=denied)
    def attempt(fn):
        try:
            fn()
            return "ok"
        except OSError as exc:
            return type(exc).__name__
    out = {"abi": abi, "batch": attempt(batch.read_bytes), "secret": attempt(secret.read_bytes),
           "numpy": attempt(lambda: __import__("numpy")), "torch": attempt(lambda: __import__("torch").ones(2).sum()),
           "oracle_data": [attempt(f.read_bytes) for f in files],
           "tcp": attempt(lambda: socket.create_connection(("127.0.0.1", 9), timeout=1))}
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_inside_the_sandbox_ground_truth_and_the_network_are_unreachable(tmp_path):
    secret = tmp_path / "truth" / "table.csv"
    secret.parent.mkdir()
    secret.write_text("arch,acc\nx,93.1\n")
    batch = tmp_path / "batch.npz"
    batch.write_bytes(b"input")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), str(secret), str(batch)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["batch"] == "ok" and got["numpy"] == "ok" and got["torch"] == "ok"
    assert got["secret"] == "PermissionError"
    assert got["oracle_data"] and all(r == "PermissionError" for r in got["oracle_data"])
    if got["abi"] >= 4:
        assert got["tcp"] == "PermissionError"


def test_grants_route_around_a_denied_folder(tmp_path):
    (tmp_path / "pkg" / "data").mkdir(parents=True)
    (tmp_path / "pkg" / "code.py").write_text("")
    (tmp_path / "other").mkdir()
    got = sandbox.grants([tmp_path], [tmp_path / "pkg" / "data"])
    assert tmp_path / "pkg" / "code.py" in got and tmp_path / "other" in got
    assert all(p != tmp_path and p != tmp_path / "pkg" and "data" not in p.parts for p in got)


@pytest.mark.slow
def test_local_workers_in_the_sandbox_score_but_cannot_read_a_truth_file(tmp_path, monkeypatch):
    from faulty import PeekProxy
    from toy import ToySpace, WidthProxy, toy_batch

    from nas_harness.engine import Engine
    from nas_harness.executors import make_executor
    from nas_harness.scoring import ProxyJob, ScoringSetup
    from nas_harness.store import ScoreStore

    secret = tmp_path / "truth.csv"
    secret.write_text("arch,acc\nw1,93.1\n")
    monkeypatch.setenv("NASH_TEST_SECRET", str(secret))
    setup = ScoringSetup(space=ToySpace(), dataset="toy", batch=toy_batch(), input_spec="noise(bs=4,s=0)")
    jobs = [ProxyJob(WidthProxy()), ProxyJob(PeekProxy())]
    tables = {}
    for mode in ("0", "1"):
        monkeypatch.setenv("NASH_SANDBOX", mode)
        with make_executor("local", workers=1, threads=1, time_limit_s=120, memory_limit_mb=0) as ex:
            tables[mode] = Engine(setup, ScoreStore(tmp_path / f"s{mode}.sqlite"), executor=ex).score(
                jobs, ["w1", "w2"]
            )
            assert ex.processes[0].info.get("sandbox", "off").startswith("landlock" if mode == "1" else "off")
    assert tables["0"]["peek"].failures == {} and tables["0"]["peek"].values[0] == secret.stat().st_size
    assert all("PermissionError" in r for r in tables["1"]["peek"].failures.values())
    assert len(tables["1"]["peek"].failures) == 2
    assert list(tables["1"]["width"].values) == [1.0, 2.0], tables["1"][
        "width"
    ].failures  # the honest proxy scores inside


def test_results_record_whether_the_sandbox_was_on(monkeypatch):
    from nas_harness.environment import environment

    monkeypatch.setenv("NASH_SANDBOX", "1")
    assert environment("cpu", {})["sandbox"].startswith("on: Landlock ABI")
    monkeypatch.setenv("NASH_SANDBOX", "0")
    assert environment("cpu", {})["sandbox"].startswith("off")
    monkeypatch.delenv("NASH_SANDBOX")  # the default: on where available
    assert environment("cpu", {})["sandbox"].startswith("on: Landlock ABI")
    assert environment("cpu", {}, sandbox="off: the inline executor scores in the driver")[
        "sandbox"
    ].startswith("off")


def test_submit_and_standard_suite_refuse_to_run_without_the_sandbox(tmp_path, monkeypatch, capsys):
    from nas_harness import sandbox
    from nas_harness.cli import main

    monkeypatch.setenv("NASH_SANDBOX", "0")
    assert main(["submit", "params", "--suite", "quick", "--out", str(tmp_path / "s.json"), "--quiet"]) == 2
    assert "requires the scoring sandbox" in " ".join(capsys.readouterr().err.split())
    monkeypatch.delenv("NASH_SANDBOX")
    monkeypatch.setattr(sandbox, "available", lambda: (False, "Landlock is Linux-only (this is Plan9)"))
    assert main(["submit", "params", "--suite", "quick", "--out", str(tmp_path / "s.json"), "--quiet"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot provide" in err and "Plan9" in err and "Landlock enabled" in err
    monkeypatch.undo()
    assert (
        main(
            [
                "run",
                "--suite",
                "standard",
                "--proxies",
                "params",
                "--executor",
                "inline",
                "--out",
                str(tmp_path),
                "--store",
                str(tmp_path / "s.sqlite"),
            ]
        )
        == 2
    )
    assert "--executor inline" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "s.json").exists()


def test_batched_topology_proxies_are_scored_in_the_sandboxed_workers(tmp_path, monkeypatch):
    from toy import PathTopoProxy, ToySpace, toy_batch

    from nas_harness.engine import Engine
    from nas_harness.executors import make_executor
    from nas_harness.scoring import ProxyJob, ScoringSetup
    from nas_harness.store import ScoreStore

    setup = ScoringSetup(space=ToySpace(), dataset="toy", batch=toy_batch(), input_spec="noise(bs=4,s=0)")
    monkeypatch.delenv("NASH_SANDBOX", raising=False)
    with make_executor("local", workers=1, threads=1, time_limit_s=120, memory_limit_mb=0) as ex:
        assert ex.sandboxed and ex.sandbox_note().startswith("on: Landlock")
        table = Engine(setup, ScoreStore(tmp_path / "s.sqlite"), executor=ex).score(
            [ProxyJob(PathTopoProxy())], ["w1", "w2"]
        )
    assert list(table["which_path"].values) == [1.0, 1.0]  # per architecture, in the workers


@pytest.mark.slow
def test_a_sandboxed_worker_serves_many_runs_without_stacking_the_sandbox(tmp_path, monkeypatch):
    """A search loads one run per proxy objective into the same worker; Landlock allows 16 layers,
    so the worker restricts itself once (a search over 48 proxies failed with E2BIG before)."""
    from toy import ToySpace, toy_batch

    from nas_harness.engine import Engine
    from nas_harness.executors import make_executor
    from nas_harness.scoring import ProxyJob, ScoringSetup
    from nas_harness.store import ScoreStore

    monkeypatch.setenv("NASH_SANDBOX", "1")
    setup = ScoringSetup(space=ToySpace(), dataset="toy", batch=toy_batch(), input_spec="noise(bs=4,s=0)")
    store = ScoreStore(tmp_path / "s.sqlite")
    with make_executor("local", workers=1, threads=1, time_limit_s=120, memory_limit_mb=0) as ex:
        engine = Engine(setup, store, executor=ex)
        for i in range(20):  # 20 distinct runs (one proxy config each), one architecture each
            job = ProxyJob(ScaledWidth(ScaledWidth.Config(scale=float(i + 1))))
            table = engine.score([job], ["w2"])[job.name]
            assert table.failures == {} and table.values[0] == 2.0 * (i + 1)
        assert ex.processes[0].started == 1


class ScaledWidth(WidthProxy):
    """``width`` times a configured scale: each scale is a distinct run for the executor."""

    name = "scaled_width"

    class Config(PluginConfig):
        scale: float = 1.0

    def score(self, ctx):
        return super().score(ctx) * self.config.scale
