"""`nash submit --verify` trusts nothing the file says: targets come from the suite's oracle,
statistics are recomputed, a seeded sample is re-scored. A forged submission (its targets as
scores, ρ 1.0, checksum recomputed) and an order-preserving edit of every score are rejected,
each with its reason; `nash leaderboard` marks rows of unverified submissions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nas_harness.checksum import checksum_of
from nas_harness.cli import main
from nas_harness.verify import record_path, same_score, score_tolerance


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # no wrapped table cells


@pytest.fixture(scope="module")
def submitted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("verify") / "submission-params-quick.json"
    assert main(["submit", "params", "--suite", "quick", "--out", str(out), "--quiet"]) == 0
    return out


def copy(src: Path, dst: Path, change=None) -> Path:
    doc = json.loads(src.read_text())
    if change is not None:
        change(doc)
        doc["checksum"] = checksum_of(doc)  # as a forger would
    dst.write_text(json.dumps(doc, indent=2))
    return dst


def verify(capsys, path: Path, *extra: str) -> tuple[int, str]:
    code = main(["submit", "--verify", str(path), "--spot-check", "8", "--spot-seed", "3", *extra])
    return code, " ".join(capsys.readouterr().out.split())


@pytest.mark.slow
def test_an_honest_submission_verifies_and_its_leaderboard_row_is_no_longer_unverified(
    submitted, tmp_path, capsys
):
    path = copy(submitted, tmp_path / "submission-params-quick.json")
    main(["leaderboard", str(path)])
    assert "(unverified)" in capsys.readouterr().out
    code, out = verify(capsys, path)
    assert code == 0, out
    for check in (
        "targets: all 100 targets equal",
        "statistics",
        "re-scored: 8 architectures",
        "hashes the same",
    ):
        assert check in out
    assert (
        json.loads(record_path(path).read_text())["submission_checksum"]
        == json.loads(path.read_text())["checksum"]
    )
    main(["leaderboard", str(path)])
    assert "(unverified)" not in capsys.readouterr().out


def test_the_forged_submission_targets_as_scores_is_rejected_with_its_reasons(submitted, tmp_path, capsys):
    def forge(doc):
        [cols] = doc["scores"]
        cols["scores"]["params"] = list(cols["target"])
        doc["result"]["results"][0]["spearman"]["value"] = 1.0

    path = copy(submitted, tmp_path / "forged.json", forge)
    code, out = verify(capsys, path)
    assert code == 1
    stats = out.split("FAIL cifar10: statistics:")[1].split("FAIL")[
        0
    ]  # ρ was set to 1.0, τ and the CIs were not
    assert "stated ρ CI" in stats and "stated τ 0." in stats and "≠ recomputed 1.000000" in stats
    assert "FAIL cifar10: re-scored: 8 of 8 re-scored architectures differ" in out
    assert "rejected" in out and not record_path(path).exists()


def test_an_order_preserving_edit_of_every_score_is_caught_by_re_scoring(submitted, tmp_path, capsys):
    def scale(doc):
        [cols] = doc["scores"]
        cols["scores"]["params"] = [None if v is None else 2 * v + 1 for v in cols["scores"]["params"]]

    path = copy(submitted, tmp_path / "scaled.json", scale)
    code, out = verify(capsys, path)
    assert code == 1
    assert "ok cifar10: statistics" in out  # ranks unchanged: ρ, τ, CIs all still hold
    assert "FAIL cifar10: re-scored: 8 of 8" in out


def test_edited_targets_are_replaced_by_the_suites_oracle_and_reported(submitted, tmp_path, capsys):
    def shift(doc):
        [cols] = doc["scores"]
        cols["target"] = [None if v is None else v + 1.0 for v in cols["target"]]

    code, out = verify(capsys, copy(submitted, tmp_path / "targets.json", shift), "--spot-check", "0")
    assert code == 1 and "FAIL cifar10: targets: 100 of 100 targets differ from the suite's oracle" in out


def test_a_stale_record_does_not_verify_an_edited_submission(submitted, tmp_path, capsys):
    path = copy(submitted, tmp_path / "submission-params-quick.json")
    assert verify(capsys, path)[0] == 0
    shutil.copy(record_path(path), tmp_path / "record.json")
    copy(path, path, lambda doc: doc.__setitem__("created", "2020-01-01T00:00:00+00:00"))
    main(["leaderboard", str(path)])
    assert "(unverified)" in capsys.readouterr().out


def test_score_tolerance_is_relative_by_default_and_declarable():
    from nas_harness.api import Proxy

    class Plain(Proxy):
        def score(self, ctx):
            return 0.0

    class Loose(Plain):
        score_tolerance = {"rtol": 1e-3, "atol": 1e-9}

    class Relative(Plain):
        score_tolerance = 1e-4

    assert Proxy.score_tolerance == 1e-6  # the contract's default, documented on the base class
    assert score_tolerance(Plain) == (1e-6, 0.0) and score_tolerance(Loose) == (1e-3, 1e-9)
    assert score_tolerance(Relative) == (1e-4, 0.0)
    assert same_score(1.0, 1.0 + 1e-7, 1e-6, 0) and not same_score(1.0, 1.0 + 1e-5, 1e-6, 0)
    assert same_score(None, None, 1e-6, 0) and not same_score(None, 1.0, 1e-6, 0)
