"""Results files carry a checksum: an edited one is reported as edited by `nash leaderboard` and
`nash check` (exit 2, the file named); one without a checksum is read with a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nas_harness.checksum import checksum_of
from nas_harness.cli import main

QUICK = [
    "--space",
    "nb201",
    "--proxies",
    "sed,params",
    "--n",
    "6",
    "--executor",
    "inline",
    "--bootstrap",
    "0",
    "--quiet",
]


@pytest.fixture
def results(tmp_path) -> Path:
    out = tmp_path / "out"
    assert main(["run", *QUICK, "--store", str(tmp_path / "s.sqlite"), "--out", str(out)]) == 0
    return next(out.glob("correlation-*.json"))


def cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    return code, " ".join(capsys.readouterr().err.split())


def test_a_results_file_carries_the_checksum_of_its_content(results):
    doc = json.loads(results.read_text())
    assert doc["checksum"] == checksum_of(doc)


def improved(path: Path) -> None:
    """Raise every ρ in the file by 0.1, as a hand edit would (the checksum is left as it was)."""
    doc = json.loads(path.read_text())
    for row in doc["results"]:
        if row["spearman"]["value"] is not None:
            row["spearman"]["value"] = min(1.0, row["spearman"]["value"] + 0.1)
    path.write_text(json.dumps(doc, indent=2))


@pytest.mark.parametrize("command", ["leaderboard", "check"])
def test_an_edited_results_file_is_reported_as_edited(command, results, capsys):
    baseline = results.with_name("baseline.json")
    baseline.write_text(results.read_text())
    improved(results)
    args = [command, str(results)] + (["--baseline", str(baseline)] if command == "check" else [])
    code, err = cli(capsys, *args)
    assert code == 2
    assert (
        str(results) in err.replace(" ", "")
        and "checksum mismatch" in err
        and "modified after it was written" in err
    )


def test_an_edited_baseline_is_reported_too(results, capsys):
    baseline = results.with_name("baseline.json")
    baseline.write_text(results.read_text())
    improved(baseline)
    code, err = cli(capsys, "check", str(results), "--baseline", str(baseline))
    assert code == 2 and "checksum mismatch" in err
    assert "baseline.json" in "".join(err.split())  # rich may wrap a long path (xdist's are longer)


def test_a_file_without_a_checksum_is_read_with_a_warning_naming_it(results, capsys):
    doc = json.loads(results.read_text())
    del doc["checksum"]
    results.write_text(json.dumps(doc, indent=2))
    code, err = cli(capsys, "leaderboard", str(results))
    assert code == 0
    assert "no checksum" in err and str(results) in err.replace(" ", "")
