"""Scoring workers never leak processes: children, forks and detached (setsid, double-forked)
processes die with their task or their worker; a worker that exits while a fork holds its pipe
is a worker death, not a timeout; a hang costs one time limit."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from faulty import DetachProxy, ForkExitProxy, SleepyProxy
from toy import ToySpace, WidthProxy, toy_batch

from nas_harness.engine import Engine
from nas_harness.executors import make_executor
from nas_harness.executors.reaper import TAG_VAR
from nas_harness.scoring import ProxyJob, ScoringSetup
from nas_harness.store import ScoreStore

ARCHS = [f"w{i}" for i in range(1, 7)]


def setup():
    return ScoringSetup(space=ToySpace(), dataset="toy", batch=toy_batch(), input_spec="noise(bs=4,s=0)")


def tagged_processes(exclude=()) -> list[int]:
    """Live processes carrying any scoring worker's tag that are not this test's own."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (
            int(entry.name) not in exclude
            and state != "Z"
            and any(e.startswith(f"{TAG_VAR}={os.getpid()}-".encode()) for e in env)
        ):
            out.append(int(entry.name))
    return out


def wait_none_left(timeout: float = 10.0, workers=()) -> list[int]:
    """Tagged processes still alive after ``timeout``, the live ``workers`` themselves aside."""
    exclude = {w.pid for w in workers}
    deadline = time.time() + timeout
    while (left := tagged_processes(exclude)) and time.time() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.slow
def test_detached_children_and_exiting_forks_leave_no_process_and_are_reported_as_deaths(tmp_path):
    jobs = [ProxyJob(p) for p in (WidthProxy(), DetachProxy(), ForkExitProxy())]
    store = tmp_path / "s.sqlite"
    started = time.perf_counter()
    with make_executor("local", workers=1, threads=1, time_limit_s=60, memory_limit_mb=0) as ex:
        tables = Engine(setup(), ScoreStore(store), executor=ex).score(jobs, ARCHS)
        assert not wait_none_left(workers=ex.processes), "a process a proxy started outlived its task"
    assert time.perf_counter() - started < 50  # the exiting fork was not waited for until the 60 s limit
    assert not wait_none_left()
    assert tables["detacher"].failures == {}
    assert tables["forkexit"].failures["w5"].startswith("worker died (exit code 3)")
    assert set(tables["forkexit"].failures) == {"w5"} and tables["width"].failures == {}


@pytest.mark.slow
def test_a_hang_costs_one_time_limit_and_its_neighbours_are_scored(tmp_path):
    jobs = [ProxyJob(p) for p in (WidthProxy(), SleepyProxy())]
    started = time.perf_counter()
    with make_executor("local", workers=1, threads=1, time_limit_s=3, memory_limit_mb=0) as ex:
        tables = Engine(setup(), ScoreStore(tmp_path / "s.sqlite"), executor=ex).score(jobs, ["w3"])
        assert ex.processes[0].started == 2  # the timed-out worker and one replacement, no retry alone
    assert tables["sleepy"].failures["w3"] == "timeout after 3 s"
    assert tables["width"].failures == {} and tables["width"].values[0] == 3.0
    assert time.perf_counter() - started < 3 * 2 + 20
    assert not wait_none_left()
