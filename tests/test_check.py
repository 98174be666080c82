"""``nash check``: verdicts against the committed CI baseline, JUnit XML, an injected regression.

The unit tests edit copies of ``benchmarks/baselines/ci.json`` (a real run of the ci suite);
the end-to-end tests run ``nash`` in subprocesses, one with a test plugin whose code is changed
between the baseline and the check (without a version bump) to shuffle its scores.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nas_harness.api import HarnessError
from nas_harness.check import load_runs
from nas_harness.cli import main
from nas_harness.leaderboard.check import compare, protocol_part
from nas_harness.leaderboard.check_render import junit_xml
from nas_harness.leaderboard.schema import RunResult, load_results

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "benchmarks" / "baselines" / "ci.json"


def nash(
    *args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nas_harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "250", **(env or {})},
    )


def baseline() -> RunResult:
    return load_results(BASELINE)  # (the checksum stays with the file)


def edited(run: RunResult, proxy: str, **changes) -> RunResult:
    """A copy of ``run`` with one proxy's result changed (dotted keys: spearman.value)."""
    data = run.model_dump(mode="json")
    row = next(r for r in data["results"] if r["proxy"] == proxy)
    for key, value in changes.items():
        *path, last = key.split(".")
        target = row
        for p in path:
            target = target[p]
        target[last] = value
    return RunResult.model_validate(data)


def test_the_committed_baseline_is_a_ci_suite_run():
    run = baseline()
    assert [r.proxy for r in run.results] == [
        "params",
        "flops",
        "sed",
        "synflow",
        "naswot",
        "grad_norm",
        "snip",
    ]
    for r in run.results:
        assert r.n == 50 and r.n_failed == 0 and r.spearman.ci is not None
        assert "sample:random(n=50,s=0)" in r.signature and "oracle:table" in r.signature
        assert "cifar10_sample.npz" in r.signature or "input:none" in r.signature


def test_identical_results_pass_with_zero_deltas():
    run = baseline()
    report = compare([("base", run)], [("now", run)], floor=0.02)
    assert report.passed and {r.status for r in report.rows} == {"ok"}
    for row, res in zip(report.rows, run.results):
        assert row.delta == 0.0
        assert row.tolerance == pytest.approx(max(0.02, res.spearman.value - res.spearman.ci.low))


def test_a_drop_beyond_the_baseline_ci_fails_and_a_smaller_one_passes():
    run = baseline()
    syn = next(r for r in run.results if r.proxy == "synflow")
    tol = syn.spearman.value - syn.spearman.ci.low
    assert tol > 0.02  # n = 50: the CI, not the floor, sets the tolerance
    worse = edited(run, "synflow", **{"spearman.value": syn.spearman.value - tol - 0.01})
    slightly = edited(run, "synflow", **{"spearman.value": syn.spearman.value - tol + 0.01})
    failed = compare([("b", run)], [("c", worse)])
    assert not failed.passed and [r.proxy for r in failed.failures] == ["synflow"]
    row = failed.failures[0]
    assert row.status == "regressed" and row.delta == pytest.approx(-tol - 0.01)
    assert (
        f"fell from {syn.spearman.value:.3f}" in row.message and "baseline CI lower half-width" in row.message
    )
    assert compare([("b", run)], [("c", slightly)]).passed


def test_the_floor_sets_the_tolerance_when_the_ci_is_narrower():
    run = baseline()
    params = next(r for r in run.results if r.proxy == "params")
    narrow = edited(run, "params", **{"spearman.ci.low": params.spearman.value - 0.001})
    drop = edited(narrow, "params", **{"spearman.value": params.spearman.value - 0.05})
    assert not compare([("b", narrow)], [("c", drop)], floor=0.02).passed
    report = compare([("b", narrow)], [("c", drop)], floor=0.1)
    assert report.passed and next(r for r in report.rows if r.proxy == "params").tolerance == 0.1


def test_missing_failed_incomparable_and_new_rows():
    run = baseline()
    data = run.model_dump(mode="json")
    data["results"] = [r for r in data["results"] if r["proxy"] != "sed"]  # sed did not run
    for r in data["results"]:
        if r["proxy"] == "naswot":  # naswot failed everywhere
            r["spearman"] = {"value": None, "ci": None}
            r["n_failed"] = 50
        if r["proxy"] == "snip":  # snip ran on another sample
            r["signature"] = r["signature"].replace("random(n=50,s=0)", "random(n=60,s=0)")
            r["signature_fields"] = None  # the line alone is edited here
    extra = dict(
        data["results"][0],
        proxy="brand_new",
        signature=data["results"][0]["signature"].replace("proxy:params@1", "proxy:brand_new@1"),
        signature_fields=None,
    )
    data["results"].append(extra)
    report = compare([("b", run)], [("c", RunResult.model_validate(data))])
    status = {r.proxy: r.status for r in report.rows}
    assert status == {
        "params": "ok",
        "flops": "ok",
        "sed": "missing",
        "synflow": "ok",
        "naswot": "failed",
        "grad_norm": "ok",
        "snip": "incomparable",
        "brand_new": "new",
    }
    snip = next(r for r in report.rows if r.proxy == "snip")
    assert "sample: random(n=50,s=0) vs random(n=60,s=0)" in snip.message
    assert not report.passed and {r.proxy for r in report.failures} == {"sed", "naswot", "snip"}


def test_versions_of_proxy_and_harness_do_not_break_comparability():
    run = baseline()
    sig = next(r for r in run.results if r.proxy == "sed").signature
    bumped = edited(
        run,
        "sed",
        version="2",
        signature=sig.replace("proxy:sed@1", "proxy:sed@2").replace("harness:0.1.0", "harness:0.2.0"),
    )
    assert protocol_part(sig) == protocol_part(bumped.results[2].signature)
    row = next(r for r in compare([("b", run)], [("c", bumped)]).rows if r.proxy == "sed")
    assert row.status == "ok" and (row.baseline_version, row.current_version) == ("1", "2")


def test_junit_xml_is_valid_with_one_failure_element_per_failing_row():
    run = baseline()
    worse = edited(run, "grad_norm", **{"spearman.value": 0.1})
    root = ET.fromstring(junit_xml(compare([("b", run)], [("c", worse)])))
    suite = root.find("testsuite")
    assert suite.get("tests") == "7" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    failing = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name").split(" ")[0] for c in failing] == ["grad_norm"]
    assert failing[0].find("failure").get("type") == "regressed"
    assert "fell from 0.633 to 0.100" in failing[0].find("failure").get("message")


def test_bad_inputs_are_errors():
    run = baseline()
    with pytest.raises(HarnessError, match="--metric"):
        compare([("b", run)], [("c", run)], metric="accuracy")
    with pytest.raises(HarnessError, match="not found"):
        load_runs([Path("/nonexistent/results.json")])


# --------------------------------------------------------------------------- through the CLI


def test_cli_check_of_files_exit_codes_table_and_junit(tmp_path, capsys):
    worse = edited(baseline(), "synflow", **{"spearman.value": 0.2})
    current = tmp_path / "correlation-now.json"
    current.write_text(worse.model_dump_json())
    junit = tmp_path / "junit.xml"
    proc = nash("check", "--baseline", str(BASELINE), str(current), "--junit", str(junit))
    assert proc.returncode == 1, proc.stderr
    assert "synflow: Spearman ρ fell from 0.857 to 0.200" in proc.stdout
    assert "nash check failed: 1 of 7 rows (synflow)" in proc.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "1"

    capsys.readouterr()
    assert main(["check", "--baseline", str(BASELINE), str(tmp_path), "--json"]) == 1  # a folder of results
    assert json.loads(capsys.readouterr().out)["passed"] is False
    assert main(["check", "--baseline", str(BASELINE), str(BASELINE), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True
    assert main(["check", "--baseline", str(BASELINE)]) == 2
    assert "give RESULTS files to check" in capsys.readouterr().err


PROBE_GOOD = """
from nas_harness.api import Needs, Proxy, hookimpl

class Probe(Proxy):
    '''Trainable parameters of the built model (a test proxy).'''
    name = "ci_probe"
    version = "1"
    needs = frozenset({Needs.MODEL})
    summary = "parameter count"

    def score(self, ctx):
        return float(sum(p.numel() for p in ctx.build_model().parameters()))

@hookimpl
def nas_harness_proxies():
    return [Probe]
"""

# The regression: same name, same version, the score multiplied by noise seeded from the arch.
PROBE_BROKEN = PROBE_GOOD.replace(
    "return float(sum(p.numel() for p in ctx.build_model().parameters()))",
    "import random\n        return random.Random(ctx.arch).random()",
)


def write_dist(
    root: Path, dist: str, module: str, source: str, entry_points: dict[str, dict[str, str]]
) -> None:
    """An installed distribution as importlib.metadata sees one: a module and its dist-info."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    groups = "".join(
        f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) for g, eps in entry_points.items()
    )
    (info / "entry_points.txt").write_text(groups)


def install_probe(site: Path, source: str) -> None:
    """(Re)install the test plugin ``ci_probe`` in ``site`` and forget any imported copy."""
    write_dist(
        site, "ci-probe", "nash_ci_probe", source, {"nas_harness.proxies": {"ci_probe": "nash_ci_probe"}}
    )
    shutil.rmtree(site / "__pycache__", ignore_errors=True)
    sys.modules.pop("nash_ci_probe", None)
    importlib.invalidate_caches()


@pytest.mark.slow
def test_an_injected_regression_fails_the_check_with_the_right_message(tmp_path, monkeypatch, capsys):
    """Through ``nash`` (cli.main, in process): baseline, an unchanged rerun passes, a code change
    that shuffles the scores without a version bump fails with the right message and JUnit XML."""
    site = tmp_path / "site"
    install_probe(site, PROBE_GOOD)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("COLUMNS", "250")
    config = tmp_path / "gate.yaml"
    config.write_text(
        textwrap.dedent("""\
        space: nb201
        dataset: cifar10
        proxies: [ci_probe]
        sample: {mode: random, n: 40, seed: 3}
        bootstrap: 300
        ceiling: "off"
        executor: inline
        """)
    )
    base_dir = tmp_path / "base"
    assert (
        main(
            ["run", str(config), "--out", str(base_dir), "--store", str(tmp_path / "base.sqlite"), "--quiet"]
        )
        == 0
    )
    [base_file] = base_dir.glob("correlation-*.json")
    base_rho = RunResult.model_validate_json(base_file.read_text()).results[0].spearman.value
    assert base_rho > 0.5
    capsys.readouterr()

    check = ["check", "--baseline", str(base_file), "--config", str(config), "--quiet"]
    assert main([*check, "--out", str(tmp_path / "c1")]) == 0
    assert "nash check passed" in capsys.readouterr().out

    install_probe(site, PROBE_BROKEN)
    junit = tmp_path / "junit.xml"
    assert main([*check, "--out", str(tmp_path / "c2"), "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    [now_file] = (tmp_path / "c2").glob("correlation-*.json")
    now_rho = RunResult.model_validate_json(now_file.read_text()).results[0].spearman.value
    assert now_rho < base_rho - 0.3
    assert f"ci_probe: Spearman ρ fell from {base_rho:.3f} to {now_rho:.3f}" in out
    assert "nash check failed: 1 of 1 rows (ci_probe)" in out
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "regressed"
    assert failure.get("message").startswith("ci_probe: Spearman ρ fell from")

    # The baseline's own score store still holds the old scores under the unchanged version:
    # a check reading it would pass, which is why a check scores into a fresh store by default.
    assert main([*check, "--out", str(tmp_path / "c3"), "--store", str(tmp_path / "base.sqlite")]) == 0
    sys.modules.pop("nash_ci_probe", None)


@pytest.mark.slow
def test_the_project_ci_gate_passes_against_the_committed_baseline(shared_data, tmp_path):
    """What the project's CI runs: the ci suite, fresh, against benchmarks/baselines/ci.json."""
    junit = tmp_path / "junit.xml"
    proc = nash(
        "check",
        "--suite",
        "ci",
        "--baseline",
        str(BASELINE),
        "--junit",
        str(junit),
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("tests") == "7" and suite.get("failures") == "0"
    [now] = (tmp_path / "out").glob("correlation-*.json")
    current = RunResult.model_validate_json(now.read_text())
    assert all(r.computed == r.n for r in current.results)  # fresh store: everything recomputed
