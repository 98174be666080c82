"""Executors: the same scores from inline, local and dask; faults isolated and recorded."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import numpy as np
import pytest
from faulty import ExitProxy, HogProxy, SegfaultProxy, SleepyProxy
from toy import FlakyProxy, TopoProxy, ToySpace, WidthProxy, toy_batch

from nas_harness.api import HarnessError
from nas_harness.engine import Engine
from nas_harness.executors import Limits, make_executor
from nas_harness.executors.local import LocalExecutor
from nas_harness.scoring import ProxyJob, ScoringSetup
from nas_harness.store import ScoreStore

ARCHS = [f"w{i}" for i in range(1, 11)]
LIMITS = dict(time_limit_s=3.0, memory_limit_mb=1024)


def setup():
    return ScoringSetup(space=ToySpace(), dataset="toy", batch=toy_batch(), input_spec="noise(bs=4,s=0)")


def fault_jobs():
    return [
        ProxyJob(p)
        for p in (WidthProxy(), FlakyProxy(), SleepyProxy(), ExitProxy(), SegfaultProxy(), HogProxy())
    ]


def rows(path):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT proxy, arch, status, value, reason FROM scores").fetchall()


def expected_failure(proxy: str, width: int) -> str | None:
    """The reason each fault proxy must leave, or None where it must score."""
    if proxy == "flaky":
        return (
            "RuntimeError: width" if width % 5 == 0 else "non-finite score: nan" if width % 7 == 0 else None
        )
    return {
        ("sleepy", 3): "timeout after 3 s",
        ("exiter", 4): "worker died (exit code 1)",
        ("segfault", 6): "worker died (killed by SIGSEGV)",
        ("hog", 8): "memory limit exceeded (1024 MB)",
    }.get((proxy, width))


def check_faults(path):
    got = rows(path)
    assert len(got) == 6 * len(ARCHS) and len({(p, a) for p, a, *_ in got}) == len(got)
    for proxy, arch, status, value, reason in got:
        want = expected_failure(proxy, int(arch[1:]))
        if want is None:
            assert status == "ok", (proxy, arch, reason)
            if proxy != "flaky":
                assert value == float(arch[1:])
        else:
            assert status == "failed" and reason.startswith(want), (proxy, arch, reason)


@pytest.mark.slow
def test_local_executor_records_every_fault_and_scores_the_rest(tmp_path):
    store = tmp_path / "s.sqlite"
    with make_executor("local", workers=2, threads=1, **LIMITS) as ex:
        tables = Engine(setup(), ScoreStore(store), executor=ex).score(fault_jobs(), ARCHS)
        # timeouts and deaths replaced their worker; the pool still has its two live workers
        assert sum(w.started for w in ex.processes) >= 2 + 3  # sleepy w3, exiter w4, segfault w6
    check_faults(store)
    assert "stderr: Fatal Python error: Segmentation fault" in tables["segfault"].failures["w6"]


@pytest.mark.slow
def test_inline_local_and_dask_agree_and_a_run_resumes_across_executors(tmp_path, dask_executor):
    jobs = [ProxyJob(WidthProxy()), ProxyJob(FlakyProxy()), ProxyJob(TopoProxy())]
    archs = [f"w{i}" for i in range(1, 25)]
    inline = Engine(setup(), ScoreStore(tmp_path / "inline.sqlite")).score(jobs, archs)

    mixed = tmp_path / "mixed.sqlite"
    with make_executor("local", workers=2, threads=1, **LIMITS) as ex:
        first = Engine(setup(), ScoreStore(mixed), executor=ex).score(jobs, archs[:12])
    assert all(t.computed == 12 for t in first.values())
    rest = Engine(setup(), ScoreStore(mixed), executor=dask_executor).score(jobs, archs)
    assert all(t.computed == 12 for t in rest.values())

    for name in ("width", "flaky", "topo"):
        np.testing.assert_array_equal(rest[name].values, inline[name].values)
        assert rest[name].failures == inline[name].failures
    got = rows(mixed)
    assert len(got) == 3 * len(archs) == len({(p, a) for p, a, *_ in got})


def test_dask_executor_isolates_a_dead_worker_and_a_timeout(tmp_path, dask_executor):
    jobs = [ProxyJob(WidthProxy()), ProxyJob(SleepyProxy()), ProxyJob(ExitProxy())]
    store = tmp_path / "s.sqlite"
    tables = Engine(setup(), ScoreStore(store), executor=dask_executor).score(jobs, ["w2", "w3", "w4", "w5"])
    assert tables["width"].failures == {}
    assert tables["sleepy"].failures == {"w3": "timeout after 3 s"}
    assert tables["exiter"].failures == {"w4": "worker died (exit code 1)"}
    assert list(tables["exiter"].values[[0, 1, 3]]) == [2.0, 3.0, 5.0]


def test_a_plugin_that_cannot_be_pickled_is_a_clear_error(tmp_path):
    proxy = WidthProxy()
    proxy.hook = lambda: None  # a lambda cannot travel to a worker
    with (
        LocalExecutor(workers=1, limits=Limits()) as ex,
        pytest.raises(HarnessError, match="--executor inline"),
    ):
        Engine(setup(), ScoreStore(tmp_path / "s.sqlite"), executor=ex).score([ProxyJob(proxy)], ARCHS)


@pytest.fixture(scope="module")
def dask_executor():
    pytest.importorskip("distributed")
    ex = make_executor("dask", workers=2, threads=1, **LIMITS)
    yield ex
    ex.close()


# --------------------------------------------------------------------------- config and wiring


@pytest.mark.parametrize(
    "given, needle",
    [
        (
            {"scheduler": "tcp://h:8786"},
            "scheduler: Value error, a scheduler address is only used with executor 'dask'",
        ),
        ({"memory_limit_mb": 100}, "memory_limit_mb: Value error, a worker needs at least 512 MB"),
        ({"executor": "threads"}, "executor: Input should be 'inline', 'local' or 'dask'"),
        ({"workers": 0}, "workers: Input should be greater than or equal to 1"),
    ],
)
def test_execution_settings_are_validated(given, needle):
    from nas_harness.config import validate_run_config

    with pytest.raises(HarnessError) as err:
        validate_run_config({"proxies": ["sed"], **given})
    assert needle in str(err.value)


def test_executor_for_maps_config_to_workers_threads_and_limits():
    from nas_harness.config import executor_for, validate_run_config
    from nas_harness.executors.dask_cluster import DaskExecutor
    from nas_harness.executors.inline import InlineExecutor

    local = executor_for(validate_run_config({"proxies": ["sed"], "workers": 3, "time_limit_s": 0}))
    assert isinstance(local, LocalExecutor) and len(local.processes) == 3
    unsandboxed = dict(
        sandbox=False, sandbox_note="off"
    )  # the sandbox (on where available) is tested in test_sandbox
    assert replace(local.limits, **unsandboxed) == Limits(time_limit_s=None, memory_limit_mb=4096, threads=1)
    two = executor_for(
        validate_run_config({"proxies": ["sed"], "workers": 1, "threads": 2, "memory_limit_mb": 0})
    )
    assert replace(two.limits, **unsandboxed) == Limits(time_limit_s=600.0, memory_limit_mb=None, threads=2)
    dask = executor_for(
        validate_run_config({"proxies": ["sed"], "executor": "dask", "scheduler": "tcp://h:1"})
    )
    assert isinstance(dask, DaskExecutor) and dask.scheduler == "tcp://h:1" and dask._client is None
    assert isinstance(
        executor_for(validate_run_config({"proxies": ["sed"], "executor": "inline"})), InlineExecutor
    )


def test_execution_settings_are_recorded_but_not_hashed_and_idle_workers_never_start(tmp_path):
    from nas_harness.runner import compute_run

    base = {"space": "nb201", "proxies": ["sed"], "sample": {"n": 10}, "bootstrap": 0, "ceiling": "off"}
    with LocalExecutor(workers=2) as local:  # sed is scored in the driver, batched: no worker needed
        one = compute_run({**base, "workers": 2}, store_path=tmp_path / "s.sqlite", executor=local)
        assert [w.started for w in local.processes] == [0, 0]
    two = compute_run({**base, "executor": "inline", "time_limit_s": 5}, store_path=tmp_path / "s.sqlite")
    assert one.run.config_hash == two.run.config_hash
    assert (one.run.config["executor"], two.run.config["executor"]) == ("local", "inline")
    assert two.run.config["time_limit_s"] == 5 and two.reused == 10 and two.computed == 0
