"""``nash submit``: what a submission holds, that it verifies, and that tampering is rejected."""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from nas_harness.api import HarnessError
from nas_harness.cli import main
from nas_harness.distribution import distribution_hash
from nas_harness.submission import canonical_json, checksum_of, load_submission


def nash(*args: str, cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nas_harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture(scope="module")
def submitted(tmp_path_factory) -> Path:
    """``nash submit params --suite quick``: 100 NB201 cells, embedded ground truth."""
    out = tmp_path_factory.mktemp("submit") / "submission-params-quick.json"
    proc = nash("submit", "params", "--suite", "quick", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "params on cifar10: Spearman ρ" in proc.stdout and f"submission: {out}" in proc.stdout
    return out


def rewrite(src: Path, dst: Path, change, *, fix_checksum: bool) -> Path:
    doc = json.loads(src.read_text())
    change(doc)
    if fix_checksum:
        doc["checksum"] = checksum_of(doc)
    dst.write_text(json.dumps(doc, indent=2))
    return dst


@pytest.mark.slow
def test_a_submission_holds_results_scores_versions_hash_and_environment(submitted):
    doc = json.loads(submitted.read_text())
    assert doc["kind"] == "nas-harness-submission" and doc["suite"]["name"] == "quick"
    assert doc["suite"]["kind"] == "preset" and doc["suite"]["definition"]["sample"]["n"] == 100
    assert doc["proxy"]["name"] == "params" and doc["proxy"]["distribution"] == "nas-harness"
    assert {(p["kind"], p["name"]) for p in doc["plugins"]} == {("proxy", "params"), ("space", "nb201")}
    assert doc["fresh_scores"] is True and doc["environment"]["torch"] and doc["environment"]["python"]
    [row] = doc["result"]["results"]
    assert row["signature"].startswith("proxy:params@1|space:nb201@") and row["computed"] == 100
    # the checksum is sha256 over the canonical JSON of everything else
    body = {k: v for k, v in doc.items() if k != "checksum"}
    assert doc["checksum"] == "sha256:" + hashlib.sha256(canonical_json(body).encode()).hexdigest()
    # the distribution hash is that of the installed nas-harness
    assert doc["distribution"]["sha256"] == distribution_hash("nas-harness").sha256
    assert doc["distribution"]["version"] == md.version("nas-harness")
    # the stated ρ follows from the shipped scores (recomputed here with scipy)
    [cols] = doc["scores"]
    x = np.array([np.nan if v is None else v for v in cols["scores"]["params"]], dtype=float)
    y = np.array([np.nan if v is None else v for v in cols["target"]], dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    assert len(cols["archs"]) == 100
    assert row["spearman"]["value"] == pytest.approx(stats.spearmanr(x[keep], y[keep]).statistic, abs=1e-12)


@pytest.mark.slow
def test_an_intact_submission_loads_and_verifies(submitted):
    sub = load_submission(submitted)
    [run] = sub.run_results()
    assert run.results[0].proxy == "params" and sub.proxy.version == "1"
    proc = nash("submit", "--verify", str(submitted))
    assert proc.returncode == 0, proc.stderr
    assert "intact" in proc.stdout and "hashes the same" in proc.stdout


@pytest.mark.slow
def test_an_edited_number_is_rejected_by_its_checksum(submitted, tmp_path, capsys):
    def better(doc):
        doc["result"]["results"][0]["spearman"]["value"] += 0.05

    bad = rewrite(submitted, tmp_path / "submission-tampered.json", better, fix_checksum=False)
    with pytest.raises(HarnessError, match="checksum mismatch"):
        load_submission(bad)
    assert main(["submit", "--verify", str(bad)]) == 2
    assert "checksum mismatch" in capsys.readouterr().err
    check = nash("check", "--baseline", str(submitted), str(bad))  # importing it elsewhere fails too
    assert check.returncode == 2 and "the file was modified after it was written" in " ".join(
        check.stderr.split()
    )


def test_an_edited_number_with_a_recomputed_checksum_is_rejected_by_its_own_scores(submitted, tmp_path):
    def better(doc):
        doc["result"]["results"][0]["spearman"]["value"] = 0.99

    bad = rewrite(submitted, tmp_path / "resigned.json", better, fix_checksum=True)
    with pytest.raises(
        HarnessError, match=r"stated Spearman ρ 0.99 of 'params' does not follow from the file's scores"
    ):
        load_submission(bad)

    def other_proxy(doc):
        doc["result"]["results"][0]["proxy"] = "synflow"

    with pytest.raises(HarnessError, match="result row of proxy 'synflow' in a submission of 'params'"):
        load_submission(rewrite(submitted, tmp_path / "renamed.json", other_proxy, fix_checksum=True))


def test_non_submissions_are_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"kind": "something else"}))
    with pytest.raises(HarnessError, match="not a submission file"):
        load_submission(path)
    path.write_text("{")
    with pytest.raises(HarnessError, match="not JSON"):
        load_submission(path)


def test_unknown_suite_and_proxy_are_usage_errors(tmp_path, capsys):
    assert main(["submit", "params", "--suite", "nope", "--out", str(tmp_path / "s.json")]) == 2
    err = capsys.readouterr().err
    assert "unknown suite 'nope'" in err and "standard" in err
    assert main(["submit", "nope", "--suite", "quick", "--out", str(tmp_path / "s.json")]) == 2
    assert "unknown proxy 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


@pytest.mark.slow
def test_a_standard_suite_submission_carries_the_suite_result(tmp_path):
    """``--suite standard``: every dataset's run and the search, identified by the suite id."""
    from nas_harness.plugins.spaces.nb201.suites import STANDARD

    out = tmp_path / "submission-sed-standard.json"
    proc = nash("submit", "sed", "--suite", "standard", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sub = load_submission(out)
    standard = STANDARD
    assert sub.suite.kind == "versioned" and sub.suite.id == standard.id
    assert sub.protocol == "standard" and sub.scores == []  # a suite result carries its own scores
    runs = sub.run_results()
    assert [r.config["dataset"] for r in runs] == list(standard.datasets)
    assert {(p.kind, p.name) for p in sub.plugins} == {
        ("proxy", "sed"),
        ("space", "nb201"),
        ("strategy", standard.search.strategy["name"]),
    }
    result = sub.standard_result()
    assert result.rows[0].proxy == "sed" and result.search is not None
